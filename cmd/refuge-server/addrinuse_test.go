package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

// TestListenFailedAddressInUse: a listen on an address that another
// listener holds is told apart as such, on every platform (EADDRINUSE on
// Unix, WSAEADDRINUSE on Windows, where Go's syscall.EADDRINUSE is a
// number of its own that no listen returns); another listen error is
// reported as it is.
func TestListenFailedAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	l, err := net.Listen("tcp", addr)
	if err == nil {
		l.Close()
		t.Fatalf("a second listener on %s", addr)
	}
	var out bytes.Buffer
	listenFailed(&out, addr, err)
	for _, want := range []string{
		"refuge-server: error: cannot listen on " + addr + ": another server (perhaps another refuge-server --dev) is already listening there\n",
		"refuge-server: hint: pick another address with --listen",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the listen error %q (%#v) gives\n%s\nwithout %q", err, err, out.String(), want)
		}
	}

	_, err = net.Listen("tcp", "127.0.0.1:99999")
	if err == nil {
		t.Fatal("listening on port 99999")
	}
	out.Reset()
	listenFailed(&out, "127.0.0.1:99999", err)
	if strings.Contains(out.String(), "already listening") || !strings.Contains(out.String(), err.Error()) {
		t.Errorf("the listen error %q gives\n%s", err, out.String())
	}
}
