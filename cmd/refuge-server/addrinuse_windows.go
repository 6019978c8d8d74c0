//go:build windows

package main

import (
	"errors"

	"golang.org/x/sys/windows"
)

// addrInUse reports whether err, from a listen, says that another socket
// holds the address. Windows answers WSAEADDRINUSE (10048); Go's
// syscall.EADDRINUSE is, on Windows, a number of its own that no listen
// returns.
func addrInUse(err error) bool {
	return errors.Is(err, windows.WSAEADDRINUSE)
}
