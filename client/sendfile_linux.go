package client

import (
	"errors"
	"io"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// canSendFile says that sendFile works here.
const canSendFile = true

// sendFile sends n bytes of f from off on c with sendfile(2): the kernel
// hands the file's cached pages to the socket, and the client copies
// nothing. It does not move f's offset. A file shorter than off+n gives
// io.ErrUnexpectedEOF. sent is called with the bytes of each call of
// sendfile(2) that sent some.
func sendFile(c *net.TCPConn, f *os.File, off int64, n int, sent func(int)) (int, error) {
	sc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	fc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	done := 0
	var serr error
	cerr := fc.Control(func(in uintptr) {
		err = sc.Write(func(out uintptr) bool {
			for done < n {
				o := off + int64(done)
				k, e := unix.Sendfile(int(out), int(in), &o, n-done)
				if k > 0 {
					done += k
					sent(k)
				}
				switch {
				case errors.Is(e, unix.EAGAIN):
					return false // wait until the socket can take more
				case errors.Is(e, unix.EINTR):
				case e != nil:
					serr = os.NewSyscallError("sendfile", e)
					return true
				case k == 0:
					serr = io.ErrUnexpectedEOF
					return true
				}
			}
			return true
		})
	})
	for _, e := range []error{serr, err, cerr} {
		if e != nil {
			return done, e
		}
	}
	return done, nil
}
