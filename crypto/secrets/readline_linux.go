package secrets

import "golang.org/x/sys/unix"

const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
	ioctlSetFlush   = unix.TCSETSF // and drop what was typed and not read
	vdisable        = 0            // _POSIX_VDISABLE
)

// stopChars are the characters that would stop the process or make it
// dump core (Ctrl-Z, Ctrl-\): ReadSecretLine disables them.
var stopChars = []int{unix.VSUSP, unix.VQUIT}
