package clienttest

import (
	"bufio"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// LoseProxy forwards HTTP/1.1 requests from 127.0.0.1 to a target, one at
// a time per connection, and can lose the answers to creation requests
// (POST): the server gets the request and answers it, and the client's
// connection is reset instead of getting the answer, as when a link dies
// just after the request went out.
type LoseProxy struct {
	Addr string
	// lose is how many answers to POST requests are still to be lost.
	lose atomic.Int64
	// Lost counts the answers it has lost.
	Lost atomic.Int64
}

// StartLoseProxy listens on 127.0.0.1 and forwards to target.
func StartLoseProxy(t testing.TB, target string) *LoseProxy {
	t.Helper()
	p := &LoseProxy{}
	p.Addr = listen(t, func(c net.Conn) { p.serve(c, target) })
	return p
}

// LosePosts makes the proxy lose the answers to the next n POST requests.
func (p *LoseProxy) LosePosts(n int64) { p.lose.Store(n) }

func (p *LoseProxy) serve(c net.Conn, target string) {
	defer c.Close()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	fromClient, fromServer := bufio.NewReader(c), bufio.NewReader(s)
	for {
		req, err := http.ReadRequest(fromClient)
		if err != nil {
			return
		}
		if err := req.Write(s); err != nil {
			return
		}
		resp, err := http.ReadResponse(fromServer, req)
		if err != nil {
			return
		}
		if req.Method == http.MethodPost && p.lose.Add(-1) >= 0 {
			p.Lost.Add(1)
			resp.Body.Close()
			c.(*net.TCPConn).SetLinger(0)
			return
		}
		err = resp.Write(c)
		resp.Body.Close()
		if err != nil {
			return
		}
	}
}
