package client_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"refuge/client"
	"refuge/client/clienttest"
	"refuge/server/api"
)

// endless is a body that never ends: zero bytes, until the reader stops.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestDownloadStopsAtListedSize: a compromised server lists a reply (or a
// ciphertext) of some size and then sends a body that never ends. Before,
// the client wrote whatever came to disk until the stream stopped, so the
// server could fill a defender's or a courier's disk; the hash check came
// only after. Now a download writes at most the listed size and fails
// when the server sends more.
func TestDownloadStopsAtListedSize(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	want := sha256.Sum256(make([]byte, size))
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Up to 64 MiB past the size: enough to tell, bounded so that the
		// test itself never fills a disk.
		n, _ := io.Copy(w, io.LimitReader(endless{}, size+64<<20))
		sent.Add(n)
	}))
	defer srv.Close()
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	path := filepath.Join(t.TempDir(), "reply.age")
	var written atomic.Int64
	err = c.Download(context.Background(), "/v1/submissions/0123456789abcdef0123456789abcdef/ciphertext", "", path, size, hex.EncodeToString(want[:]), &written)
	if written.Load() > size {
		t.Fatalf("the client wrote %d bytes of a download listed as %d", written.Load(), size)
	}
	if err == nil {
		t.Fatal("a download whose body goes on past the listed size succeeded")
	}
	if errors.Is(err, client.ErrNetwork) {
		t.Fatalf("a body longer than listed is retried as a network failure: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("the download was saved under its final name")
	}
}

// TestOnionNeedsProxy: an .onion server with no proxy for it (none given,
// "direct", an HTTPS_PROXY set for an http:// onion address, or NO_PROXY
// matching it) was dialled directly, so its name went to the system's
// resolver: on macOS, on Windows and with cgo that is a DNS query for the
// drop-box's onion address on the defender's own network, which a watching
// state sees. Now such a dial is refused before any lookup, with an error
// that says to use Tor; through a SOCKS proxy the name still goes to the
// proxy.
func TestOnionNeedsProxy(t *testing.T) {
	t.Parallel()
	const onion = "http://refugeexampleexampleexampleexampleexampleexampleexam.onion"
	socks := clienttest.StartSocks(t)
	for _, proxy := range []string{"direct", "http://127.0.0.1:1", "socks5h://" + socks.Addr, "socks5://" + socks.Addr} {
		c, err := client.New(client.Options{Server: onion, Proxy: proxy, Retry: client.Retry{Attempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Manifest(context.Background())
		c.Close()
		if got := errors.Is(err, client.ErrOnionNeedsTor); got != (proxy == "direct") {
			t.Fatalf("proxy %s: an .onion server gave %v (ErrOnionNeedsTor: %v)", proxy, err, got)
		}
	}
}

// TestVerifyEventsRefusesAmbiguousFields: docs/events.md says a verifier
// must check that no field of an entry can hold a space or a newline (the
// day is a date, the type one of five words), since the hash covers one
// line made of them. The courier's verifier checked the ids and hashes but
// not the day and the type, so a server could hand it an entry whose day
// held a newline and a second, made-up entry: the chain verified (the
// server computes the hashes), and courier pull wrote both lines into
// events.log, the officers' evidence. Now such entries are refused.
func TestVerifyEventsRefusesAmbiguousFields(t *testing.T) {
	t.Parallel()
	const id = "0123456789abcdef0123456789abcdef"
	sum := hex.EncodeToString(make([]byte, 32))
	injected := "2026-11-30 deleted " + id + " " + sum + " " + client.ZeroHash + "\n" +
		"0000000000000000000000000000000000000000000000000000000000000000 refuge-event-v1 2 2026-11-30"
	for _, e := range []api.Event{
		{Day: "2026-11-30", Type: "completed"}, // the well-formed one
		{Day: injected, Type: "completed"},
		{Day: "2026-11-30 ", Type: "completed"},
		{Day: "30/11/2026", Type: "completed"},
		{Day: "2026-11-30", Type: "completed\nx"},
		{Day: "2026-11-30", Type: "imported"},
		{Day: "2026-11-30", Type: ""},
	} {
		e.Seq, e.SubmissionID, e.SHA256, e.Prev = 1, id, sum, client.ZeroHash
		h := sha256.Sum256([]byte(client.EventLine(e)))
		e.Hash = hex.EncodeToString(h[:])
		_, _, err := client.VerifyEvents(0, client.ZeroHash, []api.Event{e})
		if wellFormed := e.Day == "2026-11-30" && e.Type == "completed"; (err == nil) != wellFormed {
			t.Errorf("day %q, type %q: VerifyEvents gave %v", e.Day, e.Type, err)
		}
	}
}

// TestMalformedTokenNotRetried: a token that cannot go into a header (a
// carriage return or a line break from a copied file, a control
// character) fails at once with a plain message, before anything is sent.
// net/http refused it with an error that the client took for a network
// failure and retried until it gave up.
func TestMalformedTokenNotRetried(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"submissions":[]}`))
	}))
	defer srv.Close()
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", Retry: client.Retry{Attempts: 3, Min: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	good := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tok := range []string{good + "\r", good[:30] + "\n" + good[31:], good + " ", "\x00" + good, good + "\x7f", good[:63] + "é"} {
		_, err := c.Submissions(context.Background(), tok)
		if err == nil || !strings.Contains(err.Error(), "token is malformed") || client.Temporary(err) || errors.Is(err, client.ErrNetwork) {
			t.Fatalf("token %q: %v, want a final error naming a malformed token", tok, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
	if !client.ValidToken(good) || !client.ValidToken(strings.Repeat("A", 42)+"w") || client.ValidToken(strings.Repeat("A", 42)+"_") || client.ValidToken(good+"\r") || client.ValidToken("") {
		t.Fatal("ValidToken is wrong about a token's shape")
	}
}

// TestUploadHostileTusAnswers: a compromised server (or something in its
// place) answers the tus requests with headers no refuge-server sends: a
// Location on another host or none, offsets that are negative, past int64,
// past the upload's length or not numbers, or no Tus-Resumable header
// (something else answers there). Each is a final error that says what
// was wrong, after one try, and no request goes to another host.
func TestUploadHostileTusAnswers(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	for _, tc := range []struct {
		desc     string
		location string            // answer to POST
		head     map[string]string // answer to HEAD
		patch    string            // Upload-Offset answered to PATCH
		noTus    string            // the method answered without Tus-Resumable
		want     string
	}{
		{desc: "Location on another host", location: other.URL + "/v1/uploads/x", want: "no usable Location"},
		{desc: "scheme-relative Location", location: "//" + strings.TrimPrefix(other.URL, "http://") + "/v1/uploads/x", want: "no usable Location"},
		{desc: "no Location", location: "", want: "no usable Location"},
		{desc: "Location not a URL", location: "http://[::1", want: "no usable Location"},
		{desc: "negative offset", head: map[string]string{"Upload-Offset": "-5", "Upload-Length": "10"}, want: "no valid Upload-Offset"},
		{desc: "offset past int64", head: map[string]string{"Upload-Offset": "99999999999999999999", "Upload-Length": "10"}, want: "no valid Upload-Offset"},
		{desc: "offset not a number", head: map[string]string{"Upload-Offset": "0x10", "Upload-Length": "10"}, want: "no valid Upload-Offset"},
		{desc: "no length", head: map[string]string{"Upload-Offset": "0"}, want: "no valid Upload-Length"},
		{desc: "offset past the length", head: map[string]string{"Upload-Offset": "11", "Upload-Length": "10"}, want: "offset past the upload's length"},
		{desc: "another length", head: map[string]string{"Upload-Offset": "0", "Upload-Length": "11"}, want: "another length"},
		{desc: "chunk answered past its end", head: map[string]string{"Upload-Offset": "0", "Upload-Length": "10"}, patch: "11", want: "impossible offset"},
		{desc: "chunk answered without an offset", head: map[string]string{"Upload-Offset": "0", "Upload-Length": "10"}, patch: "", want: "Upload-Offset"},
		{desc: "chunk answered behind its start", head: map[string]string{"Upload-Offset": "5", "Upload-Length": "10"}, patch: "4", want: "impossible offset"},
		{desc: "creation without Tus-Resumable", location: "/v1/uploads/x", noTus: http.MethodPost, want: "Tus-Resumable"},
		{desc: "offset without Tus-Resumable", head: map[string]string{"Upload-Offset": "0", "Upload-Length": "10"}, noTus: http.MethodHead, want: "Tus-Resumable"},
		{desc: "chunk answered without Tus-Resumable", head: map[string]string{"Upload-Offset": "0", "Upload-Length": "10"}, patch: "10", noTus: http.MethodPatch, want: "Tus-Resumable"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if r.Method != tc.noTus {
					w.Header().Set("Tus-Resumable", "1.0.0")
				}
				switch r.Method {
				case http.MethodPost:
					if tc.location != "" {
						w.Header().Set("Location", tc.location)
					}
					w.WriteHeader(http.StatusCreated)
				case http.MethodHead:
					for k, v := range tc.head {
						w.Header().Set(k, v)
					}
				case http.MethodPatch:
					io.Copy(io.Discard, r.Body)
					w.Header().Set("Upload-Offset", tc.patch)
					w.WriteHeader(http.StatusNoContent)
				}
			}))
			defer srv.Close()
			c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", Retry: client.Retry{Attempts: 3, Min: time.Millisecond, Max: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tc.head == nil {
				_, err = c.CreateUpload(context.Background(), 10, nil, "")
			} else {
				err = c.Upload(context.Background(), srv.URL+"/v1/uploads/x", "", strings.NewReader("0123456789"), 10, nil)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || client.Temporary(err) {
				t.Fatalf("%v, want a final error naming %q", err, tc.want)
			}
			if n := requests.Load(); n > 2 {
				t.Fatalf("%d requests: the answer was taken for a passing failure and tried again", n)
			}
			if n := elsewhere.Load(); n != 0 {
				t.Fatalf("%d requests went to another host", n)
			}
		})
	}
}

// TestAnswerNotJSON: something answers 200 with what is not the JSON of
// a refuge-server (a login page, a proxy's notice, another service at that
// address), or with JSON of another shape. That is no passing failure of
// the network: a final error says the answer is not a refuge-server's,
// after one try. A body cut short is still retried.
func TestAnswerNotJSON(t *testing.T) {
	for _, tc := range []struct {
		desc, body string
		final      bool
	}{
		{"HTML", "<html><body>Welcome to the hotel Wi-Fi</body></html>", true},
		{"another shape", `{"replies":"none"}`, true},
		{"a number too large", `{"replies":[{"size":1e999}]}`, true},
		{"empty", "", false},
		{"cut short", `{"replies":[`, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", Retry: client.Retry{Attempts: 3, Min: time.Millisecond, Max: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.Replies(context.Background(), strings.Repeat("ab", 16), strings.Repeat("cd", 32))
			if err == nil {
				t.Fatal("accepted")
			}
			if !tc.final {
				if n := requests.Load(); n != 3 {
					t.Fatalf("%d requests, want 3 (retried): %v", n, err)
				}
				return
			}
			if !strings.Contains(err.Error(), "not the answer of a refuge-server") || client.Temporary(err) {
				t.Fatalf("%v, want a final error saying the answer is not a refuge-server's", err)
			}
			if n := requests.Load(); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
}
