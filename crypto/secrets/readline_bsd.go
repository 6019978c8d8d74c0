//go:build darwin || freebsd || openbsd || netbsd

package secrets

import "golang.org/x/sys/unix"

const (
	ioctlGetTermios = unix.TIOCGETA
	ioctlSetTermios = unix.TIOCSETA
	ioctlSetFlush   = unix.TIOCSETAF // and drop what was typed and not read
	vdisable        = 0xff           // _POSIX_VDISABLE
)

// stopChars are the characters that would stop the process or make it
// dump core (Ctrl-Z, Ctrl-Y, Ctrl-\): ReadSecretLine disables them.
var stopChars = []int{unix.VSUSP, unix.VDSUSP, unix.VQUIT}
