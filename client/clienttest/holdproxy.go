package clienttest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// HoldProxy forwards TCP connections from 127.0.0.1 to a target and,
// once it has passed a given number of bytes from clients, passes no more
// on the connections already open until Release: a test can act while an
// upload hangs in the middle, without guessing at timings. Connections
// made once it holds pass freely.
type HoldProxy struct {
	Addr string
	// Holding is closed when the proxy starts holding bytes back.
	Holding <-chan struct{}

	limit    int64
	passed   atomic.Int64
	holding  chan struct{}
	held     sync.Once
	released chan struct{}
	release  sync.Once
}

// StartHoldProxy listens on 127.0.0.1 and forwards to target, holding
// what clients send after the first limit bytes.
func StartHoldProxy(t testing.TB, target string, limit int64) *HoldProxy {
	t.Helper()
	holding := make(chan struct{})
	p := &HoldProxy{Holding: holding, limit: limit, holding: holding, released: make(chan struct{})}
	p.Addr = listen(t, func(c net.Conn) {
		free := false
		select {
		case <-p.holding: // connections made once it holds pass freely
			free = true
		default:
		}
		p.serve(c, target, free)
	})
	t.Cleanup(p.Release) // before listen's: the served connections must not wait
	return p
}

// Release lets everything through from now on.
func (p *HoldProxy) Release() { p.release.Do(func() { close(p.released) }) }

func (p *HoldProxy) serve(c net.Conn, target string, free bool) {
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	back := make(chan struct{})
	go func() { io.Copy(c, s); c.Close(); close(back) }()
	defer func() { s.Close(); <-back }()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		b := buf[:n]
		for len(b) > 0 {
			k := int64(len(b))
			select {
			case <-p.released:
			default:
				if free {
					break
				}
				if k = min(k, p.limit-p.passed.Load()); k <= 0 {
					p.held.Do(func() { close(p.holding) })
					<-p.released
					continue
				}
			}
			if _, err := s.Write(b[:k]); err != nil {
				return
			}
			p.passed.Add(k)
			b = b[k:]
		}
		if err != nil {
			return
		}
	}
}
