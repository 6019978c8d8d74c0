package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"refuge/server"
)

// TestUnixSocket serves over a Unix socket (an onion service in front)
// and TCP at once, both plain HTTP, and shuts down gracefully when the
// context ends.
func TestUnixSocket(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "refuge.sock")
	l, err := server.Listen("unix:" + path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	srv, err := server.New(server.Config{Store: e.st, RootKey: e.rootKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- server.Serve(ctx, server.HTTPServer(srv, nil), 5*time.Second, l, tcp) }()
	resp, err := http.Get("http://" + tcp.Addr().String() + "/v1/manifest")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("over TCP: %d", resp.StatusCode)
	}
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
	resp, err = c.Get("http://refuge/v1/manifest")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("over the socket: %d %v", resp.StatusCode, resp.Header)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestTLSSendsHSTS(t *testing.T) {
	e := newEnv(t)
	srv, err := server.New(server.Config{Store: e.st, RootKey: e.rootKey, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/v1/manifest")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS over TLS")
	}
}

// At most n connections are open at once, over every listener of the
// limit: a request on a further connection is answered only once one of
// them closes. Downloads still go out through sendfile's path (ReadFrom)
// and errors after a half-close (CloseWrite): the wrapped connection
// passes both through.
func TestConnLimit(t *testing.T) {
	e := newEnv(t)
	srv, err := server.New(server.Config{Store: e.st, RootKey: e.rootKey})
	if err != nil {
		t.Fatal(err)
	}
	limit := server.NewConnLimit(2)
	tcp1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, server.HTTPServer(srv, nil), 5*time.Second, limit.Listener(tcp1), limit.Listener(tcp2))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	get := func(c net.Conn) error {
		if _, err := io.WriteString(c, "GET /v1/manifest HTTP/1.1\r\nHost: refuge\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
	// Two connections, one on each listener, both answered and kept open.
	var held []net.Conn
	for _, l := range []net.Listener{tcp1, tcp2} {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := get(c); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	third, err := net.Dial("tcp", tcp1.Addr().String()) // the kernel accepts; the server does not yet
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	answered := make(chan error, 1)
	go func() { answered <- get(third) }()
	select {
	case err := <-answered:
		t.Fatalf("a third connection was served while two were open (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("the third connection, once one closed: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the third connection was not served after one closed")
	}
}

// A client that announces a body, never sends it and never closes its
// connection does not keep its connection slot: with room for one
// connection, the server answers it, closes it, and serves the next
// client, all before a deadline. The client's connection stays open on
// its side throughout.
func TestUnreadBodyFreesConnectionSlot(t *testing.T) {
	e := newEnv(t)
	srv, err := server.New(server.Config{Store: e.st, RootKey: e.rootKey})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, server.HTTPServer(srv, nil), 5*time.Second, server.NewConnLimit(1).Listener(l))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for i, req := range []string{
		"POST /v1/acks HTTP/1.1\r\nHost: refuge\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
		"GET /v1/manifest HTTP/1.1\r\nHost: refuge\r\nContent-Length: 100\r\n\r\n",
		"GET /v1/manifest HTTP/1.1\r\nHost: refuge\r\n\r\n",
	} {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close() // only at the end: the server must not wait for it
		if err := c.SetDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d got no answer: %v", i, err)
		}
		resp.Body.Close()
		if want := []int{401, 400, 200}[i]; resp.StatusCode != want {
			t.Fatalf("connection %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
}

// TestUnreadAnswerFreesConnectionSlot: a client that sends requests and
// never reads an answer (here, GETs of the manifest pipelined without
// end, until the answers fill every socket buffer on the way) holds its
// connection only until the write deadline: the server then closes it,
// and with a limit of one connection, the next client is served.
func TestUnreadAnswerFreesConnectionSlot(t *testing.T) {
	e := newEnv(t)
	srv, err := server.New(server.Config{Store: e.st, RootKey: e.rootKey, WriteTimeout: 200 * time.Millisecond,
		RequestsPerSecond: 1e9, RequestBurst: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, server.HTTPServer(srv, nil), 5*time.Second, server.NewConnLimit(1).Listener(l))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	stuck, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if err := stuck.SetWriteDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		req := []byte(strings.Repeat("GET /v1/manifest HTTP/1.1\r\nHost: refuge\r\n\r\n", 100))
		for {
			if _, err := stuck.Write(req); err != nil {
				sent <- err
				return
			}
		}
	}()

	next, err := net.Dial("tcp", l.Addr().String()) // waits in the kernel's queue for the slot
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if err := next.SetDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(next, "GET /v1/manifest HTTP/1.1\r\nHost: refuge\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(next), nil)
	if err != nil {
		t.Fatalf("the next client was not served while one did not read its answers: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the next client: %d", resp.StatusCode)
	}
	// The server closed the connection that did not read: its requests
	// can no longer be sent.
	if err := <-sent; errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server kept the connection that did not read open")
	}
}

// TestSlowDownloadKeepsItsDeadline: the write deadline of small answers
// does not cut a download. With answers given 300 ms, a courier that
// reads the first bytes of an 8 MiB ciphertext, pauses for a second (a
// Tor circuit stalling) and reads on gets every byte.
func TestSlowDownloadKeepsItsDeadline(t *testing.T) {
	e := newEnv(t, func(c *serverConfig) { c.WriteTimeout = 300 * time.Millisecond })
	s := newSubmitter()
	body := e.bundle(8 << 20)
	e.submit(s, body)
	req, err := http.NewRequest("GET", e.url+"/v1/submissions/"+s.id+"/ciphertext", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.courier)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	first := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the slow reader this test is about, not a synchronisation
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("the download was cut after a pause: %v", err)
	}
	if got := append(first, rest...); sha256.Sum256(got) != sha256.Sum256(body) {
		t.Fatalf("downloaded %d bytes, not the %d stored", len(got), len(body))
	}
}
