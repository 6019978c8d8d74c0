//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"refuge/internal/fswatch"
)

// TestSealInterrupted: Ctrl-C (SIGINT) or SIGTERM in the middle of refuge
// seal, once its temporary bundle exists, leaves nothing behind: no
// bundle, no temporary file, no ticket, no phrase file; it exits 130
// saying that nothing was sealed. Before, it exited 1 without a word.
func TestSealInterrupted(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	vars, err := writeFixtures(work)
	if err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(work, "video.bin")
	// Sparse, so it costs no disk, and sealing it takes seconds.
	if err := os.WriteFile(video, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(video, 1<<30); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sig syscall.Signal
		msg string
	}{
		{syscall.SIGINT, "refuge: error: interrupted (Ctrl-C): nothing was sealed; no bundle, relay ticket or receipt phrase was kept\n"},
		{syscall.SIGTERM, "refuge: error: stopped by SIGTERM: nothing was sealed; no bundle, relay ticket or receipt phrase was kept\n"},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			out := t.TempDir()
			watch := fswatch.Start(t, out)
			u := newUser(t)
			cmd := u.command(nil, "seal", "--manifest", filepath.Join(work, "manifest.json"), "--root-pub", vars["ROOTPUB"],
				"--receipt-out", filepath.Join(out, "phrase.txt"), "-o", filepath.Join(out, "bundle.age"), video)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			watch.Created(".refuge-tmp-", 1) // sealing has begun
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second): // a bound, not a synchronisation
				cmd.Process.Kill()
				t.Fatalf("an interrupted seal did not end")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
				t.Fatalf("an interrupted seal: %v, want exit %d\n%s", err, exitInterrupted, stderr.String())
			}
			if !strings.HasSuffix(stderr.String(), tc.msg+"refuge: hint: run the same command again to seal the files (under a new receipt phrase)\n") || stdout.Len() != 0 {
				t.Errorf("an interrupted seal said:\n%s%s", stdout.String(), stderr.String())
			}
			if left, _ := os.ReadDir(out); len(left) != 0 {
				t.Fatalf("an interrupted seal left %v behind:\n%s", left, stderr.String())
			}
		})
	}
}
