package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
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
		"refuge-server: error: cannot listen on " + addr + ": another server (perhaps another refuge-server --dev) is already listening there\n",
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

// devProc is a running refuge-server --dev: its directory, as the banner
// names it, and what it writes to stderr.
type devProc struct {
	cmd    *exec.Cmd
	tmp    string
	dir    string
	stderr bytes.Buffer
	done   chan error
}

var devDirRE = regexp.MustCompile(`(?m)^Directory:\s+(\S+)$`)

// startDev starts --dev ARGS on a free port and reads its banner up to
// "Press Ctrl-C", which it prints once it serves.
func startDev(t *testing.T, bin string, args ...string) *devProc {
	t.Helper()
	p := &devProc{done: make(chan error, 1)}
	p.cmd, p.tmp = devCommand(t, bin, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait(); pw.Close() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	watchdog := time.AfterFunc(30*time.Second, func() { p.cmd.Process.Kill() })
	defer watchdog.Stop()
	banner := readBanner(pr)
	m := devDirRE.FindStringSubmatch(banner)
	if m == nil || !strings.Contains(banner, "Press Ctrl-C") {
		t.Fatalf("no banner:\n%s", banner)
	}
	p.dir = m[1]
	if filepath.Dir(p.dir) != p.tmp {
		t.Fatalf("dev directory %s is not in TMPDIR %s", p.dir, p.tmp)
	}
	if _, err := os.Stat(filepath.Join(p.dir, "passphrase.txt")); err != nil {
		t.Fatal(err)
	}
	return p
}

// stop sends sig and waits for a clean exit.
func (p *devProc) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("refuge-server --dev after %v: %v\n%s", sig, err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("refuge-server --dev did not stop after %v", sig)
	}
}

// TestDevStopRemovesDirectory stops --dev with Ctrl-C (SIGINT): the
// throwaway directory, with its private keys and passphrase file, goes,
// and one line says so.
func TestDevStopRemovesDirectory(t *testing.T) {
	p := startDev(t, buildServer(t))
	p.stop(t, os.Interrupt)
	if _, err := os.Stat(p.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dev directory is still there: %v", err)
	}
	checkEmpty(t, p.tmp)
	if want := "refuge-server: removed the dev directory " + p.dir + "\n"; !strings.HasSuffix(p.stderr.String(), want) {
		t.Errorf("stderr does not end with %q:\n%s", want, p.stderr.String())
	}
}

// TestDevKeep stops --dev --keep with SIGTERM: the directory stays, whole,
// and one line says where and what it holds.
func TestDevKeep(t *testing.T) {
	p := startDev(t, buildServer(t), "--keep")
	p.stop(t, syscall.SIGTERM)
	for _, name := range []string{"passphrase.txt", "officer.key", "courier.token", "data/refuge.db"} {
		if _, err := os.Stat(filepath.Join(p.dir, name)); err != nil {
			t.Error(err)
		}
	}
	want := "refuge-server: kept the dev directory " + p.dir + " (--keep): it holds demo private keys and their passphrase; delete it when done\n"
	if !strings.HasSuffix(p.stderr.String(), want) {
		t.Errorf("stderr does not end with %q:\n%s", want, p.stderr.String())
	}
}
