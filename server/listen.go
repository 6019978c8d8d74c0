package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultListen is where refuge-server listens unless told otherwise:
// loopback only, so that exposing it (a TLS port, or an onion service in
// front) is always a decision.
const DefaultListen = "127.0.0.1:8443"

// Listen opens addr: "unix:/path/to/socket" for a Unix socket (for an
// onion service or a reverse proxy in front; created after removing a
// stale socket file, mode 0660 so that the Tor daemon, running as its own
// user, can connect when it is in the socket's group) or "host:port" for
// TCP. What the socket serves is what the world reaches through the onion
// service: the group bit exposes nothing more.
func Listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(path)
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("listen on unix socket: %w", err)
		}
		if err := os.Chmod(path, 0o660); err != nil { // #nosec G302 -- the socket serves the public API; see above
			l.Close()
			return nil, fmt.Errorf("set unix socket permissions: %w", err)
		}
		return l, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on tcp: %w", err)
	}
	return l, nil
}

// DefaultMaxConnections bounds the connections refuge-server holds open at
// once. Each costs some tens of KiB (a goroutine and its buffers), so the
// default keeps a flood of idle connections under about 100 MiB; past it,
// new connections wait in the kernel's queue until one closes.
const DefaultMaxConnections = 4096

// ConnLimit bounds the connections open at once across listeners.
type ConnLimit struct{ slots chan struct{} }

// NewConnLimit returns a limit of n connections open at once
// (DefaultMaxConnections if n < 1).
func NewConnLimit(n int) *ConnLimit {
	if n < 1 {
		n = DefaultMaxConnections
	}
	return &ConnLimit{slots: make(chan struct{}, n)}
}

// Listener returns l counted against the limit: its Accept waits while
// the limit's connections are all open.
func (c *ConnLimit) Listener(l net.Listener) net.Listener {
	return &limitListener{Listener: l, slots: c.slots, done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// Accept takes a slot only once it has a connection: a slot taken before
// would sit with a listener that nobody dials while connections to
// another wait.
func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		c.Close()
		return nil, net.ErrClosed
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back when it is closed, once.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// ReadFrom and CloseWrite pass through what net/http looks for on a TCP
// connection: sendfile for downloads, and the half-close that lets a
// client read an error before the connection goes.
func (c *limitConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// maxHeaderBytesHard is net/http's limit on request headers, above the
// handler's (Config.MaxHeaderBytes) so that a request between the two gets
// a JSON 431 from the handler; beyond it net/http answers a plain 431.
const maxHeaderBytesHard = 64 << 10

// HTTPServer returns the http.Server for h with refuge-server's limits:
// header size and time, idle time, and no per-request log (ErrorLog goes
// nowhere: net/http would otherwise print client addresses). "OPTIONS *"
// goes to h like every other request (which answers it 404 with a JSON
// error), not to net/http's own answer.
func HTTPServer(h http.Handler, tlsConf *tls.Config) *http.Server {
	return &http.Server{
		Handler:                      h,
		TLSConfig:                    tlsConf,
		MaxHeaderBytes:               maxHeaderBytesHard,
		ReadHeaderTimeout:            10 * time.Second,
		IdleTimeout:                  60 * time.Second,
		ErrorLog:                     discardLogger(),
		DisableGeneralOptionsHandler: true,
	}
}

// Serve serves hs on every listener in ls until ctx is done, then shuts
// down gracefully, giving requests in flight up to grace to finish. When
// hs.TLSConfig is set (with its certificate: see Certificate) it serves
// TLS on TCP listeners; a Unix socket always serves plain HTTP, for an
// onion service in front, which encrypts on its own. If one listener
// fails, all stop.
func Serve(ctx context.Context, hs *http.Server, grace time.Duration, ls ...net.Listener) error {
	// Decided once, before serving: http.Server.Serve gives hs a
	// TLSConfig of its own (for HTTP/2) when it has none.
	useTLS := hs.TLSConfig != nil
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			if useTLS && l.Addr().Network() != "unix" {
				errc <- hs.ServeTLS(l, "", "")
			} else {
				errc <- hs.Serve(l)
			}
		}()
	}
	var failed error
	waiting := len(ls)
	select {
	case failed = <-errc:
		waiting--
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = hs.Close()
	}
	for ; waiting > 0; waiting-- {
		if serr := <-errc; failed == nil && !errors.Is(serr, http.ErrServerClosed) {
			failed = serr
		}
	}
	if failed != nil {
		return failed
	}
	return err
}
