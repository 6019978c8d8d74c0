package client

import (
	"context"
	"io"
	"net"
	"sync"
)

// bulkDial dials as d does and gives net/http connections that copy a
// request body in 1 MiB pieces instead of the 32 KiB of io.Copy: one read
// of the spool and one write to the socket per MiB. For refuge submit of
// 1 GiB into a server on the same 2 cores this took 0.2 s of CPU off the
// client (4.45 -> 4.25 s) and ran 3% faster (medians of four,
// alternated). A TLS connection writes its records itself and gains
// nothing; plain HTTP (an onion service behind Tor's SOCKS port, a
// server on the same network) does.
func bulkDial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			return &bulkConn{tc}, nil
		}
		return c, nil
	}
}

// bulkConn is a TCP connection whose ReadFrom (what net/http calls to send
// a body) copies through a pooled 1 MiB buffer.
type bulkConn struct{ *net.TCPConn }

var bulkBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// ReadFrom copies r to the connection. The buffer goes back to the pool:
// the client holds at most one per request being sent.
func (c *bulkConn) ReadFrom(r io.Reader) (int64, error) {
	bp := bulkBufs.Get().(*[]byte)
	defer bulkBufs.Put(bp)
	return io.CopyBuffer(writerOnly{c.TCPConn}, r, *bp)
}

// writerOnly hides the connection's own ReadFrom from io.CopyBuffer, which
// would otherwise call it instead of using the buffer.
type writerOnly struct{ io.Writer }
