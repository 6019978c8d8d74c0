//go:build linux

// Package ptytest runs a command at a real terminal, for the tests of
// prompts that turn echo off. The test holds both ends of a new
// pseudo-terminal: it reads what the command shows, types, sends signals,
// and reads the terminal's settings once the command is gone, to check
// that the command left the terminal as it found it.
//
// Only tests import it.
package ptytest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitLimit bounds how long Wait waits for the command to end. It is not a
// synchronisation: a command that has not ended by then is a failure (a
// signal it ignored), reported instead of hanging the test run.
const waitLimit = 30 * time.Second

// Terminal is a command running at a pseudo-terminal.
type Terminal struct {
	t      testing.TB
	cmd    *exec.Cmd
	master *os.File
	slave  *os.File // held open, so the settings outlive the command
	before unix.Termios

	mu       sync.Mutex
	out      []byte
	more     chan struct{} // closed when out grows, then replaced
	readDone chan struct{} // closed when the master end reads no more
	exited   chan struct{} // closed when the command has ended
	waitErr  error
}

// Open opens a new pseudo-terminal; the test types at it (Type) and
// starts the command at it (Start).
func Open(t testing.TB) *Terminal {
	t.Helper()
	master, slave, err := open()
	if err != nil {
		t.Fatalf("cannot open a pseudo-terminal: %v", err)
	}
	before, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("cannot read the terminal's settings: %v", err)
	}
	tt := &Terminal{t: t, master: master, slave: slave, before: *before,
		more: make(chan struct{}), readDone: make(chan struct{}), exited: make(chan struct{})}
	go tt.read()
	t.Cleanup(func() {
		if tt.cmd != nil {
			select {
			case <-tt.exited:
			default:
				tt.cmd.Process.Kill()
				<-tt.exited
			}
		}
		tt.closeSlave()
		<-tt.readDone
		master.Close()
	})
	return tt
}

// TTY returns the terminal's end that a program reads and writes, for a
// test that reads from it in its own process instead of starting a
// command.
func (tt *Terminal) TTY() *os.File {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.slave
}

// Start runs cmd with the terminal as its controlling terminal and its
// standard input, output and error.
func (tt *Terminal) Start(cmd *exec.Cmd) {
	tt.t.Helper()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tt.slave, tt.slave, tt.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		tt.t.Fatalf("cannot start %s: %v", cmd.Path, err)
	}
	tt.cmd = cmd
	go func() {
		tt.waitErr = cmd.Wait()
		close(tt.exited)
	}()
}

// open opens a new pseudo-terminal (Linux: /dev/ptmx).
func open() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var n int
	rc, err := master.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) {
			if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil {
				n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
			}
		})
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	fd, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, os.NewFile(uintptr(fd), "pty"), nil
}

// read collects what the command writes, until the last process holding
// the terminal has closed it (EIO).
func (tt *Terminal) read() {
	defer close(tt.readDone)
	buf := make([]byte, 4096)
	for {
		n, err := tt.master.Read(buf)
		tt.mu.Lock()
		tt.out = append(tt.out, buf[:n]...)
		if n > 0 {
			close(tt.more)
			tt.more = make(chan struct{})
		}
		tt.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// WaitFor waits until the terminal shows s: the command wrote it, or (no
// command started yet) the terminal echoed what was typed. The test fails
// if the command ends first.
func (tt *Terminal) WaitFor(s string) {
	tt.t.Helper()
	tt.WaitUntil(fmt.Sprintf("%q", s), func(out string) bool { return strings.Contains(out, s) })
}

// WaitUntil waits until done, given all the terminal has shown so far,
// returns true. The test fails, saying it waited for what, if the command
// ends first.
func (tt *Terminal) WaitUntil(what string, done func(out string) bool) {
	tt.t.Helper()
	for {
		tt.mu.Lock()
		found, more := done(string(tt.out)), tt.more
		tt.mu.Unlock()
		if found {
			return
		}
		select {
		case <-more:
		case <-tt.exited:
			// Whatever it wrote before it ended is read once no one
			// holds the terminal any more.
			tt.closeSlave()
			<-tt.readDone
			if out := tt.Output(); !done(out) {
				tt.t.Fatalf("%s ended (%v) without showing %s:\n%s", tt.cmd.Path, tt.waitErr, what, out)
			}
			return
		}
	}
}

// SetSize gives the terminal a window of rows and cols, as a terminal
// emulator does when its window is opened or resized (TIOCSWINSZ; the
// command at it gets SIGWINCH).
func (tt *Terminal) SetSize(rows, cols uint16) {
	tt.t.Helper()
	rc, err := tt.master.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) {
			err = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
		})
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		tt.t.Fatalf("cannot set the terminal's size: %v", err)
	}
}

// Type writes s to the terminal as if typed at the keyboard ("\x03" is
// Ctrl-C).
func (tt *Terminal) Type(s string) {
	tt.t.Helper()
	if _, err := tt.master.Write([]byte(s)); err != nil {
		tt.t.Fatalf("cannot type at the terminal: %v", err)
	}
}

// Signal sends sig to the command.
func (tt *Terminal) Signal(sig os.Signal) {
	tt.t.Helper()
	if err := tt.cmd.Process.Signal(sig); err != nil {
		tt.t.Fatalf("cannot send %v: %v", sig, err)
	}
}

// Wait waits for the command to end and returns its exit code (-1 if a
// signal killed it). The test fails if it has not ended within waitLimit.
func (tt *Terminal) Wait() int {
	tt.t.Helper()
	select {
	case <-tt.exited:
	case <-time.After(waitLimit):
		tt.cmd.Process.Kill()
		<-tt.exited
		tt.closeSlave()
		<-tt.readDone
		tt.t.Fatalf("%s had not ended %v after the signal:\n%s", tt.cmd.Path, waitLimit, tt.Output())
	}
	var ee *exec.ExitError
	if errors.As(tt.waitErr, &ee) {
		return ee.ExitCode()
	}
	if tt.waitErr != nil {
		tt.t.Fatalf("waiting for %s: %v", tt.cmd.Path, tt.waitErr)
	}
	return 0
}

// Pending returns what was typed at the terminal and not read: what the
// shell would read next once the command is gone. Call it after Wait and
// before Output.
func (tt *Terminal) Pending() string {
	tt.t.Helper()
	tt.mu.Lock()
	slave := tt.slave
	tt.mu.Unlock()
	if slave == nil {
		tt.t.Fatal("ptytest: Pending called after Output")
	}
	fd := int(slave.Fd())
	was, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		tt.t.Fatalf("cannot read the terminal's settings: %v", err)
	}
	// Out of canonical mode, a line begun and not ended is readable too;
	// with VMIN and VTIME 0, a read returns at once.
	raw := *was
	raw.Lflag &^= unix.ICANON
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 0, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		tt.t.Fatalf("cannot set the terminal: %v", err)
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, was)
	buf := make([]byte, 4096)
	n, err := unix.Read(fd, buf)
	if err != nil {
		tt.t.Fatalf("cannot read what is pending at the terminal: %v", err)
	}
	return string(buf[:n])
}

// Restored returns nil if the terminal's settings are those it had before
// the command started, or else says what differs (echo left off, first).
// Call it after Wait and before Output.
func (tt *Terminal) Restored() error {
	tt.mu.Lock()
	slave := tt.slave
	tt.mu.Unlock()
	if slave == nil {
		return errors.New("ptytest: Restored called after Output")
	}
	now, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		return fmt.Errorf("cannot read the terminal's settings: %v", err)
	}
	switch {
	case tt.before.Lflag&unix.ECHO != 0 && now.Lflag&unix.ECHO == 0:
		return errors.New("the terminal was left with echo off")
	case now.Lflag != tt.before.Lflag || now.Iflag != tt.before.Iflag ||
		now.Oflag != tt.before.Oflag || now.Cflag != tt.before.Cflag || now.Cc != tt.before.Cc:
		return fmt.Errorf("the terminal's settings changed: %+v, was %+v", *now, tt.before)
	}
	return nil
}

// Output returns all the command showed at the terminal. Call it once the
// command has ended: it stops reading.
func (tt *Terminal) Output() string {
	tt.closeSlave()
	<-tt.readDone
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return string(tt.out)
}

func (tt *Terminal) closeSlave() {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.slave != nil {
		tt.slave.Close()
		tt.slave = nil
	}
}
