//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"refuge/internal/fswatch"
	"refuge/internal/noreplace"
)

// TestPartnerKeyInterrupted stops refuge partnerkey by SIGINT (Ctrl-C) or
// SIGTERM after the passphrase is read, as soon as the temporary file of
// the key appears: while it derives the key that encrypts the file (at
// full cost, about a second: refuge is built as a release binary). It
// must exit 130 saying that the key file was not written, and leave
// nothing: no key file, no temporary file. Before, Ctrl-C exited 1
// without a word and SIGTERM killed it, leaving an empty key file at its
// name, which the same command then refused as existing.
func TestPartnerKeyInterrupted(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "refuge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		sig syscall.Signal
		msg string
	}{
		{syscall.SIGINT, "refuge: error: interrupted (Ctrl-C): "},
		{syscall.SIGTERM, "refuge: error: stopped by SIGTERM: "},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			pass := filepath.Join(dir, "pass")
			if err := os.WriteFile(pass, []byte("not a real passphrase\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			key := filepath.Join(dir, "fld.key")
			watch := fswatch.Start(t, dir)
			cmd := exec.Command(bin, "partnerkey", "-o", key, "--passphrase-file", pass)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			watch.Created(noreplace.PartialPrefix, 1) // the key derivation has begun
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(60 * time.Second): // a bound, not a synchronisation
				cmd.Process.Kill()
				t.Fatalf("an interrupted partnerkey did not end")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
				t.Fatalf("an interrupted partnerkey: %v, want exit %d\n%s%s", err, exitInterrupted, stdout.String(), stderr.String())
			}
			want := tc.msg + key + " was not written\nrefuge: hint: run the same command again to make the key\n"
			if stderr.String() != want || stdout.Len() != 0 {
				t.Errorf("stdout %q, stderr %q; want stderr %q", stdout.String(), stderr.String(), want)
			}
			if left, _ := os.ReadDir(dir); len(left) != 1 {
				t.Errorf("an interrupted partnerkey left %v", left)
			}
		})
	}
}
