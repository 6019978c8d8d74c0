package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// devCommand is the real binary run as refuge-server --dev ARGS with its
// own TMPDIR, where --dev makes its directory; the test returns it.
func devCommand(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--dev"}, args...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	return cmd, tmp
}

// checkEmpty fails unless dir holds nothing.
func checkEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// TestDevAddressInUse runs --dev on an address that another listener
// holds, as a second --dev finds the first: it fails before it makes
// anything, says that another server is listening there and how to go on,
// and leaves no refuge-dev-* directory (with keys and a passphrase file)
// behind.
func TestDevAddressInUse(t *testing.T) {
	bin := buildServer(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	cmd, tmp := devCommand(t, bin, "--listen", addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Fatalf("exit: %v, want status %d\n%s", err, exitError, stderr.String())
	}
	for _, want := range []string{
		"refuge-server: cannot listen on " + addr + ": another server (perhaps another refuge-server --dev) is already listening there\n",
		"refuge-server: hint: pick another address with --listen",
		"refuge-server: hint: or stop the other server first\n",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
	checkEmpty(t, tmp)
}
