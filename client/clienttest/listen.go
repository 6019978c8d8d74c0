package clienttest

import (
	"net"
	"sync"
	"testing"
)

// listen accepts TCP connections on 127.0.0.1 and hands each to serve in
// a goroutine of its own. When the test ends it stops accepting, closes
// the connections still open from clients (so that every serve returns)
// and waits for all of them.
func listen(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				finished := make(chan struct{})
				go func() {
					select {
					case <-done:
						c.Close()
					case <-finished:
					}
				}()
				defer close(finished)
				defer c.Close()
				serve(c)
			})
		}
	})
	return ln.Addr().String()
}
