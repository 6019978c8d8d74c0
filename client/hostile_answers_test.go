package client_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"refuge/client"
	"refuge/client/clienttest"
)

// quick is a retry policy of three tries and no real wait.
var quick = client.Retry{Attempts: 3, Min: time.Millisecond, Max: time.Millisecond}

const (
	someID    = "0123456789abcdef0123456789abcdef"
	someToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func newClient(t *testing.T, o client.Options) *client.Client {
	t.Helper()
	o.Proxy = "direct"
	if o.Retry == (client.Retry{}) {
		o.Retry = quick
	}
	c, err := client.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestStalledAnswers: a hostile or seized server sends the headers of an
// answer and then nothing, or trickles a byte every few milliseconds of an
// answer that never ends. The client waited for ever: the idle time-out
// covered only the bytes of uploads and downloads, and a JSON answer had
// no bound at all. Now an answer's body is cut after IdleTimeout without
// a byte, and a JSON answer after AnswerTimeout in all; each is a
// passing failure, tried again per the retry policy, with a message that
// says what happened.
func TestStalledAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc    string
		trickle bool
		call    func(c *client.Client) error
		want    string
	}{
		{"JSON answer that stops", false, func(c *client.Client) error {
			_, err := c.Replies(context.Background(), someID, someToken)
			return err
		}, "stopped sending"},
		{"JSON answer that trickles", true, func(c *client.Client) error {
			_, err := c.Submissions(context.Background(), someToken)
			return err
		}, "did not end within"},
		{"manifest that trickles", true, func(c *client.Client) error {
			_, _, err := c.Manifest(context.Background())
			return err
		}, "did not end within"},
		{"error answer that stops", false, func(c *client.Client) error {
			_, err := c.Status(context.Background(), someID, someToken)
			return err
		}, "500"},
		{"download that stops", false, func(c *client.Client) error {
			return c.Download(context.Background(), "/v1/x", someToken, filepath.Join(t.TempDir(), "f"), 1000, strings.Repeat("0", 64), nil)
		}, "stopped sending"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if tc.want == "500" {
					w.Header().Set("Content-Length", "1000")
					w.WriteHeader(http.StatusInternalServerError)
					w.Write([]byte(`{"error":{"code":"internal","message":"`))
				} else {
					if !tc.trickle {
						w.Header().Set("Content-Length", "1000")
					}
					w.Write([]byte(`{"submissions":[`))
				}
				w.(http.Flusher).Flush()
				if !tc.trickle {
					<-r.Context().Done()
					return
				}
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-r.Context().Done():
						return
					case <-tick.C:
						if _, err := w.Write([]byte(" ")); err != nil {
							return
						}
						w.(http.Flusher).Flush()
					}
				}
			}))
			defer srv.Close()
			// The bound that is not tested is far off.
			o := client.Options{Server: srv.URL, IdleTimeout: 100 * time.Millisecond, AnswerTimeout: time.Minute}
			if tc.trickle {
				o.IdleTimeout, o.AnswerTimeout = time.Minute, 300*time.Millisecond
			}
			c := newClient(t, o)
			done := make(chan error, 1)
			go func() { done <- tc.call(c) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				t.Fatal("the client still waits on the answer after a minute")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !client.Temporary(err) {
				t.Fatalf("%v, want a passing failure naming %q", err, tc.want)
			}
			if n := requests.Load(); n != int64(quick.Attempts) {
				t.Fatalf("%d requests, want %d (tried again per the policy)", n, quick.Attempts)
			}
		})
	}
}

// TestAnswerTooLarge: a server sends a JSON answer past 16 MiB (spaces
// inside a list, so that it never ends as JSON), or announces one in its
// Content-Length, or sends headers past 64 KiB. Before, the answer was cut
// at 16 MiB and the cut taken for a broken connection, so the client
// fetched 16 MiB again and again; headers were read up to 1 MiB. Now each
// is a final error, after one try, that says the answer is too large.
func TestAnswerTooLarge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc string
		h    http.HandlerFunc
		want string
	}{
		{"endless JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"submissions":[`))
			io.Copy(w, io.LimitReader(spaces{}, 17<<20))
		}, "larger than 16 MiB"},
		{"Content-Length of a terabyte", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(1<<40))
			w.Write([]byte(`{"submissions":[]}`))
		}, "larger than 16 MiB"},
		{"headers past 64 KiB", func(w http.ResponseWriter, r *http.Request) {
			for i := range 40 {
				w.Header().Set(fmt.Sprintf("X-Pad-%d", i), strings.Repeat("a", 2000))
			}
			w.Write([]byte(`{"submissions":[]}`))
		}, "headers are larger than"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				tc.h(w, r)
			}))
			defer srv.Close()
			c := newClient(t, client.Options{Server: srv.URL})
			_, err := c.Submissions(context.Background(), someToken)
			if err == nil || !strings.Contains(err.Error(), tc.want) || client.Temporary(err) {
				t.Fatalf("%v, want a final error naming %q", err, tc.want)
			}
			if n := requests.Load(); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
	// Just under the bound is read.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"submissions":[`))
		io.Copy(w, io.LimitReader(spaces{}, int64(16<<20-len(`{"submissions":[]}`))))
		w.Write([]byte(`]}`))
	}))
	defer srv.Close()
	if _, err := newClient(t, client.Options{Server: srv.URL}).Submissions(context.Background(), someToken); err != nil {
		t.Fatalf("an answer of exactly 16 MiB: %v", err)
	}
}

type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// TestRedirectsRefused: a seized server answers with a redirect, to
// another host or to its own, with or without a Location, to every kind of
// request. None is followed, none is tried again, and the error says the
// server redirected. Before, a 3xx without a Location (300, 304) came back
// as "the server answered 304 Not Modified", a bad request.
func TestRedirectsRefused(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	calls := map[string]func(c *client.Client, base string) error{
		"list": func(c *client.Client, base string) error {
			_, err := c.Submissions(context.Background(), someToken)
			return err
		},
		"manifest": func(c *client.Client, base string) error {
			_, _, err := c.Manifest(context.Background())
			return err
		},
		"download": func(c *client.Client, base string) error {
			return c.Download(context.Background(), "/v1/x", someToken, filepath.Join(t.TempDir(), "f"), 10, strings.Repeat("0", 64), nil)
		},
		"create upload": func(c *client.Client, base string) error {
			_, err := c.CreateUpload(context.Background(), 10, nil, "")
			return err
		},
		"upload": func(c *client.Client, base string) error {
			return c.Upload(context.Background(), base+"/v1/uploads/x", "", strings.NewReader("0123456789"), 10, nil)
		},
		"acknowledgement": func(c *client.Client, base string) error {
			_, err := c.PostAck(context.Background(), someToken, []byte("{}"), []byte("sig"))
			return err
		},
	}
	for _, status := range []int{300, 301, 302, 303, 304, 307, 308} {
		for name, call := range calls {
			t.Run(fmt.Sprintf("%d %s", status, name), func(t *testing.T) {
				t.Parallel()
				var requests atomic.Int64
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					if status != 300 && status != 304 {
						w.Header().Set("Location", other.URL+r.URL.Path)
					}
					w.WriteHeader(status)
				}))
				defer srv.Close()
				c := newClient(t, client.Options{Server: srv.URL})
				err := call(c, srv.URL)
				if err == nil || !strings.Contains(err.Error(), "redirected") || client.Temporary(err) {
					t.Fatalf("%v, want a final error saying the server redirected", err)
				}
				if n := requests.Load(); n != 1 {
					t.Fatalf("%d requests, want 1", n)
				}
			})
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("%d requests followed a redirect to another host", n)
	}
}

// TestLocationWithUserinfo: a tus creation answer whose Location names the
// server's own host with a user name and password in it. net/http sends
// those as a Basic Authorization header on every request to the upload:
// words the server chose, by which it could tell one client's requests
// apart. Such a Location is now refused, and nothing is sent to it.
func TestLocationWithUserinfo(t *testing.T) {
	t.Parallel()
	var basic atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); ok {
			basic.Add(1)
		}
		w.Header().Set("Tus-Resumable", "1.0.0")
		if r.Method == http.MethodPost {
			w.Header().Set("Location", "http://mark:1234@"+strings.TrimPrefix(srv.URL, "http://")+"/v1/uploads/x")
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	c := newClient(t, client.Options{Server: srv.URL})
	_, err := c.CreateUpload(context.Background(), 10, nil, "")
	if err == nil || !strings.Contains(err.Error(), "user name or password") || client.Temporary(err) {
		t.Fatalf("%v, want a final error naming the user name in the Location", err)
	}
	err = c.Upload(context.Background(), "http://mark:1234@"+strings.TrimPrefix(srv.URL, "http://")+"/v1/uploads/x", "", strings.NewReader("0123456789"), 10, nil)
	if err == nil || !strings.Contains(err.Error(), "user name or password") {
		t.Fatalf("%v, want an error naming the user name in the URL", err)
	}
	if n := basic.Load(); n != 0 {
		t.Fatalf("%d requests carried the server's user name and password", n)
	}
}

// TestDownloadEmptyAnswer: a server answers a download with 200 or 206
// and no byte. The client took that for a finished request and asked again
// at once, for ever. Now it is a cut connection: tried again per the
// policy, then a passing failure.
func TestDownloadEmptyAnswer(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusOK, http.StatusPartialContent} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if requests.Add(1) > 100 {
					t.Error("more than 100 requests")
				}
				w.Header().Set("Content-Range", "bytes 0-9/10")
				w.WriteHeader(status)
			}))
			defer srv.Close()
			c := newClient(t, client.Options{Server: srv.URL})
			path := filepath.Join(t.TempDir(), "f")
			err := c.Download(context.Background(), "/v1/x", someToken, path, 10, strings.Repeat("0", 64), nil)
			if err == nil || !client.Temporary(err) || !strings.Contains(err.Error(), "connection cut") {
				t.Fatalf("%v, want a passing failure (connection cut)", err)
			}
			if n := requests.Load(); n != int64(quick.Attempts) {
				t.Fatalf("%d requests, want %d", n, quick.Attempts)
			}
			if _, err := os.Stat(path); err == nil {
				t.Fatal("saved under the final name")
			}
		})
	}
}

// TestDownloadProgressNeverGoesBack: a server sends half a download, is
// cut, then ignores the Range of the next request and sends the file from
// its start again, and stalls after a few bytes. Progress stays at the
// most that was on disk (it showed the few bytes), and the download ends
// with the whole file, checked.
func TestDownloadProgressNeverGoesBack(t *testing.T) {
	t.Parallel()
	data := []byte(strings.Repeat("0123456789", 10000))
	sum := sha256.Sum256(data)
	var progress atomic.Int64
	var requests atomic.Int64
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch requests.Add(1) {
		case 1: // half, then cut
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:len(data)/2])
			panic(http.ErrAbortHandler)
		case 2: // from the start again, 10 bytes, then nothing
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:10])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default: // the client wrote request 2's bytes before asking again
			seen.Store(progress.Load())
			from := int64(0)
			fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(data)-1, len(data)))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(data[from:])
		}
	}))
	defer srv.Close()
	c := newClient(t, client.Options{Server: srv.URL, IdleTimeout: 100 * time.Millisecond})
	path := filepath.Join(t.TempDir(), "f")
	if err := c.Download(context.Background(), "/v1/x", someToken, path, int64(len(data)), hex.EncodeToString(sum[:]), &progress); err != nil {
		t.Fatal(err)
	}
	if s := seen.Load(); s < int64(len(data)/2) {
		t.Fatalf("progress went back to %d after %d bytes were on disk", s, len(data)/2)
	}
	if p := progress.Load(); p != int64(len(data)) {
		t.Fatalf("progress %d at the end, want %d", p, len(data))
	}
}

// TestCookiesNotKept: a server sets a cookie on every answer, which would
// let it tell one client's requests apart (the same device asking for its
// status and later for its replies). The client has no cookie jar: no
// request carries a cookie back.
func TestCookiesNotKept(t *testing.T) {
	t.Parallel()
	var cookies atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Cookies()) > 0 || r.Header.Get("Cookie") != "" {
			cookies.Add(1)
		}
		http.SetCookie(w, &http.Cookie{Name: "mark", Value: strconv.FormatInt(time.Now().UnixNano(), 10), Path: "/"})
		w.Write([]byte(`{"replies":[]}`))
	}))
	defer srv.Close()
	c := newClient(t, client.Options{Server: srv.URL})
	for range 3 {
		if _, err := c.Replies(context.Background(), someID, someToken); err != nil {
			t.Fatal(err)
		}
	}
	if n := cookies.Load(); n != 0 {
		t.Fatalf("%d requests carried a cookie back", n)
	}
}

// TestServerMessageMadePrintable: a server's error message holding bytes
// that are not UTF-8, C1 controls (CSI as one byte), an escape sequence
// and a line break reaches the user as one line of valid UTF-8 with
// nothing a terminal acts on.
func TestServerMessageMadePrintable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("{\"error\":{\"code\":\"forbidden\",\"message\":\"no\xff\xfe \u009b2J \\u001b]0;title\\u0007 a\\nb \u202e\"}}"))
	}))
	defer srv.Close()
	_, err := newClient(t, client.Options{Server: srv.URL}).Replies(context.Background(), someID, someToken)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\x1b\x07\n\r\u009b\u202e") {
		t.Fatalf("message %q holds what a terminal acts on", msg)
	}
	if !strings.Contains(msg, "no") || !strings.Contains(msg, "title") {
		t.Fatalf("message %q lost the server's words", msg)
	}
}

// socksRecorder is a SOCKS5 proxy on 127.0.0.1 that records the address
// each client asks for (its type and the name or address as given) and
// connects every request to target, whatever was asked.
func socksRecorder(t *testing.T, target string) (addr string, asked chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	asked = make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				var hdr [2]byte
				if _, err := io.ReadFull(r, hdr[:]); err != nil || hdr[0] != 5 {
					return
				}
				if _, err := io.ReadFull(r, make([]byte, hdr[1])); err != nil {
					return
				}
				c.Write([]byte{5, 0}) // no authentication
				var req [4]byte
				if _, err := io.ReadFull(r, req[:]); err != nil || req[1] != 1 {
					return
				}
				var name string
				switch req[3] {
				case 1: // IPv4
					b := make([]byte, 4)
					io.ReadFull(r, b)
					name = "ipv4 " + net.IP(b).String()
				case 4: // IPv6
					b := make([]byte, 16)
					io.ReadFull(r, b)
					name = "ipv6 " + net.IP(b).String()
				case 3: // a name
					n, _ := r.ReadByte()
					b := make([]byte, n)
					io.ReadFull(r, b)
					name = "name " + string(b)
				}
				io.ReadFull(r, make([]byte, 2)) // port
				asked <- name
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
				go io.Copy(s, r)
				io.Copy(c, s)
			}()
		}
	}()
	return ln.Addr().String(), asked
}

// TestProxyGetsTheName: through a SOCKS5 proxy (socks5h://, and socks5://,
// which Go's client treats alike) the client hands the proxy the server's
// host name and never looks it up itself: through Tor, a look-up on the
// defender's own network would tell a watching state which drop-box they
// use. The name here ends in .invalid, which no resolver answers: a
// client that looked it up would fail before reaching the proxy. A proxy
// on 127.0.0.1 records what it is asked and connects to a server on
// 127.0.0.1; microsocks, which resolves the name itself and cannot, shows
// that the name went to it (the proxy could not connect, not a failed
// look-up).
func TestProxyGetsTheName(t *testing.T) {
	t.Parallel()
	const host = "drop-box.refuge-test.invalid"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != host+":8080" {
			t.Errorf("the request names host %q", r.Host)
		}
		w.Write([]byte(`{"replies":[]}`))
	}))
	defer srv.Close()
	proxy, asked := socksRecorder(t, srv.Listener.Addr().String())
	for _, scheme := range []string{"socks5h", "socks5"} {
		c, err := client.New(client.Options{Server: "http://" + host + ":8080", Proxy: scheme + "://" + proxy, Retry: client.Retry{Attempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Replies(context.Background(), someID, someToken)
		c.Close()
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		if got := <-asked; got != "name "+host {
			t.Fatalf("%s: the proxy was asked for %q, want the name %s", scheme, got, host)
		}
	}
	socks := clienttest.StartSocks(t)
	c, err := client.New(client.Options{Server: "http://" + host + ":8080", Proxy: "socks5h://" + socks.Addr, Retry: client.Retry{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Replies(context.Background(), someID, someToken)
	var dnsErr *net.DNSError
	if err == nil || errors.As(err, &dnsErr) || !strings.Contains(err.Error(), "the proxy could not connect") {
		t.Fatalf("through microsocks: %v, want the proxy's failure to connect (it could not resolve the name), not a look-up of our own", err)
	}
}
