//go:build !(linux || darwin || freebsd || openbsd || netbsd)

package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// readSecretLine prints prompt and reads a line without echo.
func readSecretLine(f *os.File, w io.Writer, prompt string) ([]byte, error) {
	fmt.Fprint(w, prompt)
	defer fmt.Fprintln(w)
	return term.ReadPassword(int(f.Fd()))
}
