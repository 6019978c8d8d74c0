package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"refuge/server/api"
)

// TestTokenMalformed: a partner's or courier's token as people pass it,
// with what copying adds to it. A token file saved with Windows line ends
// and given as --token "$(cat courier.token)" keeps a carriage return;
// before, net/http refused to send such a header and refuge reported a
// network failure after half a minute of retries (exit 4, "check the
// connection"). Surrounding white space is now dropped; a token that is
// still not 64 hex or 43 base64url characters is refused at once (exit 2)
// with a message that does not repeat it, and nothing is sent.
func TestTokenMalformed(t *testing.T) {
	t.Parallel()
	good := strings.Repeat("ab", 32)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(api.ErrorBody{Error: api.Errorf(api.CodeUnauthorized, "unknown or revoked token")})
	}))
	defer srv.Close()
	requests := func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := seen
		seen = nil
		return s
	}

	// White space around a good token is dropped: the server gets the token.
	for _, tok := range []string{good + "\r", good + "\r\n", " " + good + "\t"} {
		r := newUser(t).run("", "courier", "pull", "--server", srv.URL, "--token", tok, "-o", filepath.Join(t.TempDir(), "in"))
		got := requests()
		if r.code != 1 || len(got) == 0 || got[0] != "Bearer "+good {
			t.Fatalf("token %q: exit %d, server saw %q\nstderr: %s", tok, r.code, got, r.stderr)
		}
	}

	for _, tc := range []struct{ desc, tok string }{
		{"carriage return inside", good[:32] + "\r" + good[32:]},
		{"line break inside", good[:32] + "\n" + good[32:]},
		{"DEL", good[:63] + "\x7f"},
		{"space inside", good[:32] + " " + good[33:]},
		{"escape sequence", good[:60] + "\x1b[2J"},
		{"one character short", good[:63]},
		{"one character more", good + "a"},
		{"not hex", strings.Repeat("g", 64)},
		{"base64url with padding", strings.Repeat("A", 42) + "="},
		// 43 characters hold 258 bits: the last one's two spare bits must
		// be zero, or the server refuses the token (401 after the round
		// trips, before).
		{"base64url with spare bits set", strings.Repeat("A", 42) + "_"},
		{"invalid UTF-8", good[:62] + "\xff\xfe"},
		{"100 KiB (an argument holds at most 128)", strings.Repeat("a", 100<<10)},
		{"white space only", " \r\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			for _, how := range []string{"flag", "env"} {
				u := newUser(t)
				args := []string{"courier", "pull", "--server", srv.URL, "-o", filepath.Join(t.TempDir(), "in")}
				if how == "flag" {
					args = append(args, "--token", tc.tok)
				} else {
					u.env = append(u.env, "REFUGE_TOKEN="+tc.tok)
				}
				r := u.run("", args...)
				if r.code != 2 || !strings.Contains(r.stderr, "token is malformed") {
					t.Fatalf("%s: exit %d, want 2 naming a malformed token\nstderr: %q", how, r.code, r.stderr)
				}
				if strings.Contains(r.stderr, good[:16]) || strings.ContainsAny(r.stderr, "\x1b\x7f") {
					t.Fatalf("%s: the token was repeated: %q", how, r.stderr)
				}
				if got := requests(); len(got) != 0 {
					t.Fatalf("%s: %d requests reached the server", how, len(got))
				}
			}
		})
	}
}
