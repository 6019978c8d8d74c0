package clienttest

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"
)

// Socks is a running microsocks SOCKS5 proxy listening on 127.0.0.1.
// Its outgoing connections leave from 127.0.0.2 (also loopback), so a
// server sees from the peer address whether a request came through it.
type Socks struct {
	Addr string
}

// SocksPeer is the address the proxy's connections come from.
const SocksPeer = "127.0.0.2"

// StartSocks runs /usr/bin/microsocks (Debian package microsocks) on a
// free port. The test fails, with an install hint, if it is missing.
func StartSocks(t testing.TB) *Socks {
	t.Helper()
	bin, err := exec.LookPath("microsocks")
	if err != nil {
		t.Fatal("microsocks is not installed: apt-get install microsocks (the SOCKS5 tests need a real proxy)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-i", "127.0.0.1", "-p", fmt.Sprint(port), "-b", SocksPeer) // #nosec G204 -- test helper: runs the microsocks binary found by the test
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Wait until it accepts connections (bounded).
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("microsocks did not start listening: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Socks{Addr: addr}
}
