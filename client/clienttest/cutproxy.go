package clienttest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// CutProxy forwards TCP connections from 127.0.0.1 to a target and cuts
// each connection after it has carried Every bytes in either direction,
// so that an upload or a download through it breaks every few MiB.
type CutProxy struct {
	Addr  string
	every atomic.Int64
	// Cuts counts the connections it has cut.
	Cuts atomic.Int64
	// Bytes counts the bytes it has forwarded from clients.
	Bytes atomic.Int64
	flip  atomic.Int64
}

// FlipOnce damages the next connection made: the byte at offset n of what
// the client sends is inverted on its way to the target, as a faulty
// link that TCP's checksum misses would do. Later connections are clean.
func (p *CutProxy) FlipOnce(n int64) { p.flip.Store(n + 1) }

// flipper inverts the byte at offset at of what is read through it.
type flipper struct {
	r       io.Reader
	pos, at int64
}

func (f *flipper) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if f.at >= f.pos && f.at < f.pos+int64(n) {
		b[f.at-f.pos] ^= 0xff
	}
	f.pos += int64(n)
	return n, err
}

// StartCutProxy listens on 127.0.0.1 and forwards to target.
func StartCutProxy(t testing.TB, target string, every int64) *CutProxy {
	t.Helper()
	p := &CutProxy{}
	p.every.Store(every)
	p.Addr = listen(t, func(c net.Conn) { p.serve(c, target) })
	return p
}

// SetEvery changes the cut interval for connections made from now on.
func (p *CutProxy) SetEvery(n int64) { p.every.Store(n) }

func (p *CutProxy) serve(c net.Conn, target string) {
	every := p.every.Load()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	var once sync.Once
	cut := func() {
		once.Do(func() {
			p.Cuts.Add(1)
			// Cut hard: RST on both sides, as a censoring middlebox would.
			c.(*net.TCPConn).SetLinger(0)
			s.(*net.TCPConn).SetLinger(0)
			c.Close()
			s.Close()
		})
	}
	back := make(chan struct{})
	go func() {
		defer close(back)
		if n, _ := io.Copy(c, io.LimitReader(s, every)); n == every {
			cut()
		}
		c.Close()
	}()
	var from io.Reader = c
	if at := p.flip.Swap(0); at > 0 {
		from = &flipper{r: c, at: at - 1}
	}
	n, _ := io.Copy(s, io.LimitReader(from, every))
	p.Bytes.Add(n)
	if n == every {
		cut()
	}
	s.Close()
	<-back
}

// StartSlowProxy forwards TCP connections from 127.0.0.1 to target,
// passing at most rate bytes per second from the client, so that a test
// can interrupt an upload in the middle.
func StartSlowProxy(t testing.TB, target string, rate int64) string {
	t.Helper()
	return listen(t, func(c net.Conn) {
		s, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer s.Close()
		go func() { io.Copy(c, s); c.Close() }()
		buf := make([]byte, rate/20)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				if _, err := s.Write(buf[:n]); err != nil {
					return
				}
				time.Sleep(time.Duration(int64(n) * int64(time.Second) / rate))
			}
			if err != nil {
				return
			}
		}
	})
}
