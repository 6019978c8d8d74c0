//go:build linux || darwin || freebsd || openbsd || netbsd

package secrets

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// errWoken is readLine's answer when the signal pipe woke it.
var errWoken = errors.New("woken by a signal")

// ReadSecretLine turns echo off on the terminal tty, shows prompt on w, and
// reads one line. Echo goes off before the prompt appears, so nothing typed
// ahead is shown; the terminal is restored and the prompt line ended (the
// Enter typed was not echoed) before it returns.
//
// Ctrl-C, or a SIGINT or SIGTERM sent to the process, while it waits ends
// the wait: the terminal is restored first, what was typed of the line is
// dropped (also from the terminal, where the shell would read it next),
// and the error is an [*InterruptedError]. Ctrl-Z and Ctrl-\ are ordinary
// characters meanwhile: stopped or dumped there, the process would leave
// the terminal without echo (and a shell that restores it before "fg"
// would show the rest of the secret as it is typed).
//
// The caller wipes the line (clear) once it has been used.
func ReadSecretLine(tty *os.File, w io.Writer, prompt string) ([]byte, error) {
	fd := int(tty.Fd())
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	sigs, err := catchPromptSignals()
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	quiet.Iflag |= unix.ICRNL
	for _, c := range stopChars {
		quiet.Cc[c] = vdisable
	}
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err != nil {
		sigs.stop()
		return nil, err
	}
	fmt.Fprint(w, prompt)
	line, err := readLine(fd, sigs.wake)
	var rerr error
	if err == errWoken {
		// What was typed of the line is not left for the shell to read
		// (and echo) once the process is gone. Ctrl-C drops it itself.
		rerr = unix.IoctlSetTermios(fd, ioctlSetFlush, old)
	} else {
		rerr = unix.IoctlSetTermios(fd, ioctlSetTermios, old)
	}
	fmt.Fprintln(w)
	if sig := sigs.stop(); sig != nil {
		clear(line)
		return nil, &InterruptedError{Signal: sig}
	}
	if err == nil && rerr != nil {
		err = fmt.Errorf("cannot restore the terminal: %v", rerr)
	}
	if err != nil {
		clear(line)
		return nil, err
	}
	return line, nil
}

// maxLine is the longest line ReadSecretLine reads, newline included: as
// long as a terminal's line can be (Linux: 4095 characters and the
// newline).
const maxLine = 4096

// readLine reads a line from the terminal fd, which is in canonical mode
// (a read returns at most one line), until the newline, the end of input
// (Ctrl-D), or wake becomes readable (errWoken).
func readLine(fd int, wake *os.File) ([]byte, error) {
	line := make([]byte, 0, maxLine) // never grown: no copy left behind
	fds := []unix.PollFd{
		{Fd: int32(fd), Events: unix.POLLIN},        // #nosec G115 -- a file descriptor is a C int
		{Fd: int32(wake.Fd()), Events: unix.POLLIN}, // #nosec G115 -- likewise
	}
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return line, err
		}
		if fds[1].Revents != 0 {
			return line, errWoken
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(fd, line[len(line):cap(line)])
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return line, err
		case n == 0 && len(line) == 0:
			return line, io.EOF
		case n == 0:
			return line, nil
		}
		line = line[:len(line)+n]
		if line[len(line)-1] == '\n' {
			return line[:len(line)-1], nil
		}
		if len(line) == cap(line) {
			return line, fmt.Errorf("line longer than %d bytes", maxLine-1)
		}
	}
}
