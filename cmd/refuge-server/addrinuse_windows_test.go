//go:build windows

package main

import (
	"net"
	"os"
	"syscall"
	"testing"
)

// TestAddrInUseWindows: the error a listen on Windows returns for an
// address in use, WSAEADDRINUSE (10048) from bind, as net wraps it, is
// recognised; Go's syscall.EADDRINUSE, which no Windows listen returns,
// is not what it is.
func TestAddrInUseWindows(t *testing.T) {
	err := &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.Errno(10048))}
	if !addrInUse(err) {
		t.Fatalf("%v is not taken for an address in use", err)
	}
	if syscall.EADDRINUSE == syscall.Errno(10048) {
		t.Fatal("syscall.EADDRINUSE is WSAEADDRINUSE after all: the Windows file is not needed")
	}
	if addrInUse(&net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.Errno(10013))}) {
		t.Fatal("WSAEACCES taken for an address in use")
	}
}
