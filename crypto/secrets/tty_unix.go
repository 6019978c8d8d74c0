//go:build !windows

package secrets

import "os"

// openTerminal opens the controlling terminal for the prompt and the answer.
func openTerminal() (in, out *os.File, err error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	return f, f, err
}
