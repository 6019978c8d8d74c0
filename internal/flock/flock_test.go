package flock

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Two opens of one file exclude each other, in one process as in two;
// closing the file releases the lock.
func TestTryLock(t *testing.T) {
	name := filepath.Join(t.TempDir(), "lock")
	a, b := open(t, name), open(t, name)
	if err := TryLock(a); err != nil {
		t.Fatal(err)
	}
	if err := TryLock(b); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second open took the lock: %v", err)
	}
	a.Close()
	if err := TryLock(b); err != nil {
		t.Fatalf("the lock was not released by Close: %v", err)
	}
	c := open(t, name)
	if err := TryLock(c); !errors.Is(err, ErrLocked) {
		t.Fatalf("a third open took the lock: %v", err)
	}
	b.Close()
	if err := Lock(c); err != nil {
		t.Fatalf("the lock was not released by Close: %v", err)
	}
}

// A lock held by another process is seen, and released when that process
// is killed.
func TestLockOtherProcess(t *testing.T) {
	if os.Getenv("FLOCK_HOLD") != "" {
		f, err := os.OpenFile(os.Getenv("FLOCK_HOLD"), os.O_RDWR, 0)
		if err != nil {
			os.Exit(2)
		}
		if err := Lock(f); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		os.Stdin.Read(make([]byte, 1)) // hold until killed
		os.Exit(0)
	}
	name := filepath.Join(t.TempDir(), "lock")
	f := open(t, name)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockOtherProcess$")
	cmd.Env = append(os.Environ(), "FLOCK_HOLD="+name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, len("locked\n"))
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child did not take the lock: %q %v", line, err)
	}
	if err := TryLock(f); !errors.Is(err, ErrLocked) {
		t.Errorf("the child's lock was not seen: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := TryLock(f); err != nil {
		t.Fatalf("a killed process's lock was not released: %v", err)
	}
}

// The refusals of a file system without locks are told apart from other
// failures, and from a lock held elsewhere.
func TestUnsupported(t *testing.T) {
	err := unsupported{errors.New("no locks on this mount")}
	if !errors.Is(err, errors.ErrUnsupported) || errors.Is(err, ErrLocked) {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), "no locks on this mount") {
		t.Fatalf("the cause is lost: %v", err)
	}
}
