//go:build linux || darwin || freebsd || openbsd || netbsd

package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// readSecretLine turns echo off on the terminal f, then prints prompt and
// reads a line. Echo goes off before the prompt appears, so nothing typed
// ahead is ever shown; the terminal is restored before it returns.
func readSecretLine(f *os.File, w io.Writer, prompt string) ([]byte, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	quiet := *old
	// No echo; no signals either, so that Ctrl-C arrives as a byte and
	// cancels here with the terminal restored, instead of killing the
	// process with echo still off.
	quiet.Lflag &^= unix.ECHO | unix.ISIG
	quiet.Lflag |= unix.ICANON
	quiet.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err != nil {
		return nil, err
	}
	defer unix.IoctlSetTermios(fd, ioctlSetTermios, old)
	fmt.Fprint(w, prompt)
	defer fmt.Fprintln(w)
	var line []byte
	var b [1]byte
	for len(line) < 4096 {
		n, err := f.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				return line, nil
			}
			if b[0] == 3 { // Ctrl-C
				clear(line)
				return nil, errors.New("cancelled")
			}
			line = append(line, b[0])
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return line, nil
			}
			return line, err
		}
	}
	return line, nil
}
