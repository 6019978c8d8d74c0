//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"refuge/internal/cli/clitest"
	"strings"
	"syscall"
	"testing"
)

// TestMemlockTooLow runs the real binary as an unprivileged user (root
// bypasses mlock limits) with a memlock limit of zero, and expects a clear
// error and exit code 1 instead of memguard's panic.
func TestMemlockTooLow(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatal("the test needs prlimit: apt-get install util-linux (or run ./test.sh)")
	}
	dir, bin := clitest.BuildForUser65534(t, "refuge-officer")
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(work, 65534, 65534); err != nil {
		t.Fatal(err)
	}

	pass := filepath.Join(work, "pass")
	if err := os.WriteFile(pass, []byte("not a real passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(pass, 65534, 65534); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(prlimit, "--memlock=0:0", bin, "keygen", "-o", filepath.Join(work, "officer.key"), "--passphrase-file", pass)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if code != exitError {
		t.Fatalf("exit code %d (%v), want %d; stderr:\n%s", code, err, exitError, stderr.String())
	}
	want := "refuge-officer: error: cannot lock memory for secrets: raise the memlock limit (ulimit -l)\n"
	if !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant it to start with:\n%s", stderr.String(), want)
	}
	for _, bad := range []string{"panic", "goroutine", "memcall"} {
		if strings.Contains(stderr.String(), bad) {
			t.Errorf("stderr contains %q:\n%s", bad, stderr.String())
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout not empty: %q", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(work, "officer.key")); !os.IsNotExist(err) {
		t.Errorf("officer.key was created: %v", err)
	}
}
