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

// TestMemlockTooLow runs the real client as an unprivileged user (root
// bypasses mlock limits) with a memlock limit of zero: seal must fail with a
// clear error, exit 1 and write nothing, instead of panicking in memguard.
func TestMemlockTooLow(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatal("the test needs prlimit: apt-get install util-linux (or run ./test.sh)")
	}
	dir, bin := clitest.BuildForUser65534(t, "refuge")
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	vars, err := writeFixtures(work)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "evidence.txt"), []byte("evidence\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(work, 65534, 65534); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(prlimit, "--memlock=0:0", bin, "seal", "--manifest", "manifest.json",
		"--root-pub", vars["ROOTPUB"], "-o", "bundle.age", "evidence.txt")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "REFUGE_STATE_DIR="+filepath.Join(work, "state"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != exitError {
		t.Fatalf("exit code %d (%v), want %d; stderr:\n%s", code, err, exitError, stderr.String())
	}
	want := "refuge: error: cannot lock memory for secrets: raise the memlock limit (ulimit -l)\n"
	if !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant it to start with:\n%s", stderr.String(), want)
	}
	if strings.Contains(stderr.String(), "panic") || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr:\n%s", stdout.String(), stderr.String())
	}
	if _, err := os.Stat(filepath.Join(work, "bundle.age")); !os.IsNotExist(err) {
		t.Errorf("bundle.age was created: %v", err)
	}
}
