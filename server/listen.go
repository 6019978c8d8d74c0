package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
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

// maxHeaderBytesHard is net/http's limit on request headers, above the
// handler's (Config.MaxHeaderBytes) so that a request between the two gets
// a JSON 431 from the handler; beyond it net/http answers a plain 431.
const maxHeaderBytesHard = 64 << 10

// HTTPServer returns the http.Server for h with refuge-server's limits:
// header size and time, idle time, and no per-request log (ErrorLog goes
// nowhere: net/http would otherwise print client addresses).
func HTTPServer(h http.Handler, tlsConf *tls.Config) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsConf,
		MaxHeaderBytes:    maxHeaderBytesHard,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          discardLogger(),
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
