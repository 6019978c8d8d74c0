//go:build !(linux || darwin || freebsd || openbsd || netbsd)

package secrets

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// ReadSecretLine shows prompt on w and reads a line from the terminal tty
// without echo. Here (neither Linux nor a BSD) a signal while it waits is
// not caught: see the Unix version.
//
// The caller wipes the line (clear) once it has been used.
func ReadSecretLine(tty *os.File, w io.Writer, prompt string) ([]byte, error) {
	fmt.Fprint(w, prompt)
	defer fmt.Fprintln(w)
	return term.ReadPassword(int(tty.Fd()))
}
