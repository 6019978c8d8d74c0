//go:build !windows

package main

import (
	"errors"
	"syscall"
)

// addrInUse reports whether err, from a listen, says that another socket
// holds the address (EADDRINUSE).
func addrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE)
}
