package client

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
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
//
// It never dials an .onion name: net/http dials the server itself only
// when no proxy is set for it, and the name would then go to the system's
// resolver (on macOS, on Windows and with cgo, a DNS query on the
// defender's own network for the drop-box's onion address). Through a
// proxy it dials the proxy, and the name goes to the proxy.
func bulkDial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && isOnion(host) {
			return nil, ErrOnionNeedsTor
		}
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

// isOnion reports whether host is a Tor onion service name (RFC 7686).
func isOnion(host string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".onion")
}

// ErrOnionNeedsTor is the error for an .onion server with no proxy set for
// it: it is refused before its name is looked up or anything is sent.
var ErrOnionNeedsTor = errors.New("an .onion address can be reached only through Tor, and no proxy is set for it (use socks5h://127.0.0.1:9050); nothing was sent and the name was not looked up")

// bulkConn is a TCP connection whose ReadFrom (what net/http calls to send
// a body) copies through a pooled 1 MiB buffer, or, for a body whose bytes
// are in a file (see FileSource), has the kernel send them from the file.
type bulkConn struct{ *net.TCPConn }

var bulkBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// ReadFrom copies r to the connection. The buffer goes back to the pool:
// the client holds at most one per request being sent.
func (c *bulkConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if w, ok := lr.R.(*watchedReader); ok && w.file != nil && canSendFile {
			return c.sendBody(lr, w)
		}
	}
	bp := bulkBufs.Get().(*[]byte)
	defer bulkBufs.Put(bp)
	return io.CopyBuffer(writerOnly{c.TCPConn}, r, *bp)
}

// writerOnly hides the connection's own ReadFrom from io.CopyBuffer, which
// would otherwise call it instead of using the buffer.
type writerOnly struct{ io.Writer }

// sendBody sends the request body lr (of w) straight from w's file with
// sendfile(2), in pieces of up to 1 MiB; w advances as each call of
// sendfile(2) returns, so that the bytes on their way and the idle timer
// move as the bytes go, even on a link that takes a minute per MiB.
func (c *bulkConn) sendBody(lr *io.LimitedReader, w *watchedReader) (int64, error) {
	var total int64
	for lr.N > 0 && w.pos < w.end {
		k := min(lr.N, w.end-w.pos, 1<<20)
		n, err := sendFile(c.TCPConn, w.file, w.pos, int(k), w.advance)
		lr.N -= int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
