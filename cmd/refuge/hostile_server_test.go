package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"refuge/crypto/receipt"
	"refuge/server/api"
)

// hostileRepliesServer is a compromised server: it answers any phrase's
// status and reply list, listing one reply under the id given, and serves
// body for every reply download.
func hostileRepliesServer(t *testing.T, id string, body []byte) *httptest.Server {
	t.Helper()
	sum := sha256.Sum256(body)
	reply := api.Reply{ID: id, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), Created: "2026-11-30"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/replies"):
			json.NewEncoder(w).Encode(api.ReplyList{Replies: []api.Reply{reply}})
		case strings.HasSuffix(r.URL.Path, "/status"):
			json.NewEncoder(w).Encode(api.Status{Status: "replied", Received: "2026-11-30", Replies: []api.Reply{reply}})
		default:
			w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newPhrase(t *testing.T) string {
	t.Helper()
	p, err := receipt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	text, err := p.Text()
	if err != nil {
		t.Fatal(err)
	}
	defer text.Destroy()
	return strings.Clone(text.String()) // the buffer is wiped on return
}

// TestRepliesRefusesHostileReplyID: a compromised server (or one in the
// middle of an http:// connection) lists a reply whose id is a path. The
// id names the downloaded file and the folder a reply is saved in; before,
// it was joined to them as it came, so the server chose where on the
// defender's disk its bytes went and replaced any file ending in .age the
// defender could write (a sealed bundle waiting to be handed to a partner,
// say). Now a reply id that is not 32 lowercase hex is refused before
// anything is written, and the file stays as it was.
func TestRepliesRefusesHostileReplyID(t *testing.T) {
	t.Parallel()
	victim := t.TempDir()
	target := filepath.Join(victim, "bundle.age")
	if err := os.WriteFile(target, []byte("the defender's sealed bundle"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Enough ".." to climb from any private temporary folder to the root,
	// then down to the victim's file (".age" is added by the client).
	id := "x" + strings.Repeat("/..", 64) + strings.TrimSuffix(target, ".age")
	hostile := []byte("the server's bytes")
	srv := hostileRepliesServer(t, id, hostile)

	u := newUser(t)
	out := filepath.Join(t.TempDir(), "replies")
	r := u.run(newPhrase(t)+"\n", "replies", "--server", srv.URL, "-o", out)
	got, err := os.ReadFile(target)
	if err != nil {
		t.Fatalf("the victim file is gone: %v (exit %d, stderr %s)", err, r.code, r.stderr)
	}
	if string(got) != "the defender's sealed bundle" {
		t.Fatalf("a hostile reply id replaced a file outside -o: it now holds %q (exit %d)", got, r.code)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "malformed") {
		t.Fatalf("refuge replies with a hostile reply id: exit %d, want 1 naming a malformed reply\nstderr: %s", r.code, r.stderr)
	}
	entries, _ := os.ReadDir(victim)
	if len(entries) != 1 {
		t.Fatalf("the victim folder holds %d entries after the run, want 1", len(entries))
	}
	if _, err := os.Stat(out); err == nil {
		if e, _ := os.ReadDir(out); len(e) != 0 {
			t.Fatalf("-o folder holds %d entries after a refused reply list", len(e))
		}
	}
}

// TestStatusRefusesTerminalEscapes: a compromised server answers a status
// whose state, day or reply day holds terminal escape sequences (one that
// sets the clipboard, one that rewrites the window title). The client
// printed them as they came, to the defender's terminal; now such an
// answer is refused and nothing of it is printed.
func TestStatusRefusesTerminalEscapes(t *testing.T) {
	t.Parallel()
	good := api.Reply{ID: strings.Repeat("ab", 16), Size: 10, SHA256: strings.Repeat("0", 64), Created: "2026-11-30"}
	evil := "\x1b]52;c;cm0gLXJmIH4K\x07"
	tests := []struct {
		desc string
		st   api.Status
	}{
		{"state", api.Status{Status: "received" + evil, Received: "2026-11-30"}},
		{"state with a space", api.Status{Status: "received: fine", Received: "2026-11-30"}},
		{"day", api.Status{Status: "received", Received: "2026-11-30\x1b]0;title\x07"}},
		{"empty day", api.Status{Status: "received"}},
		{"reply day", api.Status{Status: "replied", Received: "2026-11-30",
			Replies: []api.Reply{good, {ID: good.ID, Size: 10, SHA256: good.SHA256, Created: "2026-11-30" + evil}}}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				json.NewEncoder(w).Encode(tc.st)
			}))
			defer srv.Close()
			r := newUser(t).run(newPhrase(t)+"\n", "status", "--server", srv.URL)
			if r.code != 1 || !strings.Contains(r.stderr, "malformed") {
				t.Fatalf("exit %d, want 1 naming a malformed answer\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
			}
			if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
				t.Fatalf("an escape sequence reached the terminal:\nstdout: %q\nstderr: %q", r.stdout, r.stderr)
			}
		})
	}
	// A well-formed status still prints.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(api.Status{Status: "replied", Received: "2026-11-30", Replies: []api.Reply{good}})
	}))
	defer srv.Close()
	if r := newUser(t).run(newPhrase(t)+"\n", "status", "--server", srv.URL); r.code != 0 || !strings.Contains(r.stdout, "status: replied") {
		t.Fatalf("a good status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
