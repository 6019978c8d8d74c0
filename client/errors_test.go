package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"refuge/client/clienttest"
	"refuge/server/api"
)

// TestErrorBodyRoundTrip checks that every code the server may write as
// the shared JSON envelope comes back as an *api.Error that errors.Is
// matches, and that a bare status (a proxy's HTML page) maps to its code.
func TestErrorBodyRoundTrip(t *testing.T) {
	for _, code := range knownCodes {
		for _, bare := range []bool{false, true} {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if bare {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(code.Status())
					w.Write([]byte("<html>oops</html>"))
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code.Status())
				json.NewEncoder(w).Encode(api.ErrorBody{Error: api.Errorf(code, "something %s", "failed")})
			}))
			c, err := New(Options{Server: srv.URL, Proxy: "direct", Retry: Retry{Attempts: 1}})
			if err != nil {
				t.Fatal(err)
			}
			var out struct{}
			err = c.getJSON(context.Background(), "/v1/x", "", &out)
			srv.Close()
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Code != code {
				t.Fatalf("%s (bare %v): got %v, want code %s", code, bare, err, code)
			}
			if !errors.Is(err, &api.Error{Code: code}) {
				t.Fatalf("%s: errors.Is does not match", code)
			}
			if !bare && ae.Message != "something failed" {
				t.Fatalf("%s: message %q lost", code, ae.Message)
			}
			if bare && !strings.Contains(ae.Message, "answered") {
				t.Fatalf("%s: bare status gave message %q", code, ae.Message)
			}
		}
	}
}

func TestRetryHonoursRetryAfterAndGivesUpOn4xx(t *testing.T) {
	tests := []struct {
		desc      string
		status    int
		wantCalls int
	}{
		{"429 retried", http.StatusTooManyRequests, 3},
		{"503 retried", http.StatusServiceUnavailable, 3},
		{"404 final", http.StatusNotFound, 1},
		{"401 final", http.StatusUnauthorized, 1},
		{"409 final outside uploads", http.StatusConflict, 1},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.Header.Get("User-Agent") != UserAgent || r.Header.Get("Referer") != "" {
					t.Errorf("identifying headers sent: %v", r.Header)
				}
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			c, err := New(Options{Server: srv.URL, Proxy: "direct", Retry: Retry{Attempts: 3, Min: time.Millisecond, Max: 5 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.getJSON(context.Background(), "/v1/x", "", &struct{}{}); err == nil {
				t.Fatal("no error")
			}
			if calls != tt.wantCalls {
				t.Fatalf("%d calls, want %d", calls, tt.wantCalls)
			}
		})
	}
}

func TestRetryWait(t *testing.T) {
	r := Retry{Min: 100 * time.Millisecond, Max: time.Second}.withDefaults()
	for n := 1; n < 10; n++ {
		d := r.wait(n, errors.New("x"))
		if d < r.Min/2 || d > r.Max {
			t.Fatalf("wait(%d) = %v outside [%v, %v]", n, d, r.Min/2, r.Max)
		}
	}
	se := &statusError{err: &api.Error{Code: api.CodeRateLimited}, status: 429, retryAfter: 5 * time.Second}
	if d := r.wait(1, se); d != 5*time.Second {
		t.Fatalf("Retry-After 5s gave %v", d)
	}
	se.retryAfter = time.Hour
	if d := r.wait(1, se); d != maxRetryAfter {
		t.Fatalf("Retry-After 1h gave %v, want the cap %v", d, maxRetryAfter)
	}
	if got := retryAfter("7"); got != 7*time.Second {
		t.Fatalf("retryAfter(7) = %v", got)
	}
	if got := retryAfter(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)); got != 0 {
		t.Fatalf("past date gave %v", got)
	}
}

func TestNewRefusesBadServers(t *testing.T) {
	for _, s := range []string{"", "ftp://x", "http://user:pw@x", "x.org", "http://x/?q=1"} {
		if _, err := New(Options{Server: s, Proxy: "direct"}); err == nil {
			t.Errorf("New(%q) accepted", s)
		}
	}
}

func TestRedirectRefused(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("followed a redirect")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusFound))
	defer srv.Close()
	calls := 0
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		http.Redirect(w, r, other.URL, http.StatusFound)
	})
	c, _ := New(Options{Server: srv.URL, Proxy: "direct", Retry: Retry{Attempts: 5, Min: time.Millisecond}})
	if err := c.getJSON(context.Background(), "/v1/x", "tok", &struct{}{}); !errors.Is(err, errRedirect) {
		t.Fatalf("redirect gave %v", err)
	}
	if calls != 1 {
		t.Fatalf("redirect retried: %d calls", calls)
	}
}

func TestTemporary(t *testing.T) {
	tests := []struct {
		desc string
		err  error
		want bool
	}{
		{"network", &netError{err: errors.New("x")}, true},
		{"429", &statusError{err: &api.Error{Code: api.CodeRateLimited}, status: 429}, true},
		{"503", &statusError{err: &api.Error{Code: api.CodeUnavailable}, status: 503}, true},
		{"507", &statusError{err: &api.Error{Code: api.CodeNoSpace}, status: 507}, true},
		{"404", &statusError{err: &api.Error{Code: api.CodeNotFound}, status: 404}, false},
		{"wrapped 429", fmt.Errorf("uploading: %w", &statusError{err: &api.Error{Code: api.CodeRateLimited}, status: 429}), true},
		{"plain", errors.New("x"), false},
	}
	for _, tt := range tests {
		if got := Temporary(tt.err); got != tt.want {
			t.Errorf("%s: Temporary = %v, want %v", tt.desc, got, tt.want)
		}
	}
}

// An https:// address where something answers without TLS (a server
// without it, a censor's filter, a Wi-Fi login page) fails at once with
// ErrNotTLS, not after the retries as a network failure.
func TestNotTLS(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t) // plain HTTP
	var retries atomic.Int32
	c, err := New(Options{Server: "https://" + srv.Addr, Proxy: "direct", Retry: Retry{Attempts: 8, Min: time.Second},
		OnRetry: func(RetryNotice) { retries.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Manifest(context.Background())
	if !errors.Is(err, ErrNotTLS) || Temporary(err) {
		t.Fatalf("got %v", err)
	}
	if n := retries.Load(); n != 0 {
		t.Fatalf("retried %d times", n)
	}
}
