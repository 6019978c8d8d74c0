package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"refuge/client/clienttest"
)

// TestJourney: init, submit two files and a note, status, courier pull,
// the pulled bundle opens byte-for-byte, status shows collected.
func TestJourney(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	u.init(srv)
	dir := t.TempDir()
	a := randomFile(t, dir, "passport.pdf", 300<<10)
	os.MkdirAll(filepath.Join(dir, "photos"), 0o755)
	b := randomFile(t, filepath.Join(dir, "photos"), "one.jpg", 70<<10)
	note := filepath.Join(dir, "note.txt")
	os.WriteFile(note, []byte("canary-note: please help"), 0o600)

	r := u.ok("", "submit", "--note-file", note, a, filepath.Join(dir, "photos"))
	phrase := phraseOf(t, r)
	if !strings.Contains(r.stderr, "receipt phrase") || !strings.Contains(r.stderr, "submitted") {
		t.Fatalf("submit did not explain the phrase or confirm:\n%s", r.stderr)
	}
	pendingEmpty(t, u)

	st := u.ok(phrase+"\n", "status")
	if !strings.Contains(st.stdout, "status: received") {
		t.Fatalf("status: %s", st.stdout)
	}
	// Any case and extra spaces are accepted, as the format promises.
	u.ok("  "+strings.ToUpper(phrase)+"  \n", "status")
	if r := u.run("abandon abandon abandon\n", "status"); r.code != 1 {
		t.Fatalf("a bad phrase gave exit %d", r.code)
	}

	courier := newUser(t)
	inbox := t.TempDir()
	courier.ok("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	pulled, _ := filepath.Glob(filepath.Join(inbox, "*.age"))
	if len(pulled) != 1 {
		t.Fatalf("pulled %v", pulled)
	}
	res := openPulled(t, srv, pulled[0])
	if res.Note != "canary-note: please help" {
		t.Fatalf("note %q", res.Note)
	}
	for rel, orig := range map[string]string{"files/passport.pdf": a, "files/photos/one.jpg": b} {
		if fileHash(t, filepath.Join(res.Dir, filepath.FromSlash(rel))) != fileHash(t, orig) {
			t.Fatalf("%s differs after the journey", rel)
		}
	}
	sums, _ := os.ReadFile(filepath.Join(inbox, "SHA256SUMS"))
	if !strings.Contains(string(sums), filepath.Base(pulled[0])) {
		t.Fatalf("SHA256SUMS: %q", sums)
	}
	if st := u.ok(phrase+"\n", "status"); !strings.Contains(st.stdout, "status: collected") {
		t.Fatalf("after pull: %s", st.stdout)
	}
	// A second pull fetches nothing new and still verifies the log.
	r = courier.ok("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	if !strings.Contains(r.stderr, "pulled 0 new submissions") {
		t.Fatalf("second pull: %s", r.stderr)
	}
}

// TestSubmitRefusesBadManifest: a forged, expired or rolled-back manifest
// makes submit refuse with exit 3 before anything is uploaded.
func TestSubmitRefusesBadManifest(t *testing.T) {
	t.Parallel()
	keys := clienttest.NewKeys(t)
	other := clienttest.NewKeys(t)
	forged, forgedSig := other.Manifest(t, 1, "2099-12-31")
	// Keep the real key's name on it: only the signature is wrong.
	expired, expiredSig := keys.Manifest(t, 1, time.Now().AddDate(0, 0, -2).Format("2006-01-02"))
	old, oldSig := keys.Manifest(t, 1, "2099-12-31")
	tests := []struct {
		name     string
		manifest []byte
		sig      []byte
		seen     uint64 // a version the client saw before
		want     string
		alarm    bool // the hint warns of a compromised server
	}{
		{"forged", forged, forgedSig, 0, "different key than the pinned root key", true},
		{"expired", expired, expiredSig, 0, "the officers' keys on the server have expired", false},
		{"rolled back", old, oldSig, 5, "rollback", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUser(t)
			if tt.seen > 0 {
				newer, newerSig := keys.Manifest(t, tt.seen, "2099-12-31")
				first := clienttest.Setup(t, keys, newer, newerSig, tt.seen).Start(t)
				u.init(first)
				u.ok("", "submit", randomFile(t, t.TempDir(), "a.txt", 100))
			}
			srv := clienttest.Setup(t, keys, tt.manifest, tt.sig, 1).Start(t)
			pub := keys.RootPub.String()
			f := randomFile(t, t.TempDir(), "secret.pdf", 10<<10)
			r := u.run("", "submit", "--server", srv.URL, "--root-pub", pub, f)
			if r.code != 3 {
				t.Fatalf("exit %d, want 3\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "nothing was sent") {
				t.Fatalf("message does not say why: %s", r.stderr)
			}
			// An expiry is the operator's delay, not an attack: it says
			// what to do, without the alarm a forgery gets.
			if strings.Contains(r.stderr, "compromised") != tt.alarm || !tt.alarm && !strings.Contains(r.stderr, "hint: nothing is lost") {
				t.Fatalf("hint (alarm %v): %s", tt.alarm, r.stderr)
			}
			if r.stdout != "" {
				t.Fatalf("a phrase was printed: %q", r.stdout)
			}
			reqs := srv.Requests()
			if reqs["POST"] != 0 || reqs["PATCH"] != 0 {
				t.Fatalf("the server saw an upload: %v", reqs)
			}
			subs, _ := srv.Store.Submissions(context.Background())
			if len(subs) != 0 {
				t.Fatal("a submission was stored")
			}
		})
	}
}

// TestSubmitFaultyLink: 64 MiB through a proxy that cuts the connection
// every 3 MiB completes, and the bundle opens byte-for-byte.
func TestSubmitFaultyLink(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	cut := clienttest.StartCutProxy(t, srv.Addr, 3<<20)
	u := newUser(t)
	pub := srv.Keys.RootPub.String()
	f := randomFile(t, t.TempDir(), "video.mp4", 64<<20)
	start := time.Now()
	r := u.ok("", "submit", "--server", "http://"+cut.Addr, "--root-pub", pub, f)
	t.Logf("64 MiB submit through a link cut every 3 MiB: %v, %d cuts", time.Since(start).Round(time.Millisecond), cut.Cuts.Load())
	phraseOf(t, r)
	if cut.Cuts.Load() < 10 {
		t.Fatalf("only %d cuts", cut.Cuts.Load())
	}
	subs, err := srv.Store.Submissions(context.Background())
	if err != nil || len(subs) != 1 {
		t.Fatalf("submissions: %v %v", subs, err)
	}
	ct, err := srv.Store.OpenCiphertext(context.Background(), subs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "b.age")
	out, _ := os.Create(path)
	if _, err := out.ReadFrom(ct); err != nil {
		t.Fatal(err)
	}
	out.Close()
	ct.Close()
	res := openPulled(t, srv, path)
	if fileHash(t, filepath.Join(res.Dir, "files", "video.mp4")) != fileHash(t, f) {
		t.Fatal("the 64 MiB file differs after the faulty link")
	}
	pendingEmpty(t, u)
}

// TestSubmitThroughSocks: the whole submit goes through microsocks.
func TestSubmitThroughSocks(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	socks := clienttest.StartSocks(t)
	u := newUser(t)
	pub := srv.Keys.RootPub.String()
	f := randomFile(t, t.TempDir(), "a.pdf", 1<<20)
	u.ok("", "submit", "--server", srv.URL, "--root-pub", pub, "--proxy", "socks5h://"+socks.Addr, f)
	reqs := srv.Requests()
	if reqs["peer:127.0.0.1"] != 0 || reqs["peer:"+clienttest.SocksPeer] < 4 {
		t.Fatalf("requests did not all come through the proxy: %v", reqs)
	}
	// And through ALL_PROXY, from the environment.
	u.env = []string{"ALL_PROXY=socks5h://" + socks.Addr}
	u.ok("", "submit", "--server", srv.URL, "--root-pub", pub, randomFile(t, t.TempDir(), "b.pdf", 1000))
	if reqs := srv.Requests(); reqs["peer:127.0.0.1"] != 0 {
		t.Fatalf("ALL_PROXY was not used: %v", reqs)
	}
}

// TestSubmitNothingToSend: folders that hold no file, and no note, are
// refused before anything is shown or sent.
func TestSubmitNothingToSend(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	u.init(srv)
	empty := filepath.Join(t.TempDir(), "empty folder")
	if err := os.MkdirAll(filepath.Join(empty, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := u.run("", "submit", empty)
	if r.code != 1 || !strings.Contains(r.stderr, "nothing to send: "+empty+" holds no file, and there is no note") || r.stdout != "" {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := srv.Requests()["POST"]; n != 0 {
		t.Fatalf("%d uploads created", n)
	}
	pendingEmpty(t, u)
}

// TestSubmitTellsOfRetries: while the retries run against a server that
// does not answer, the person is told, not left in silence; then the run
// gives up with exit 4, nothing shown or sent.
func TestSubmitTellsOfRetries(t *testing.T) {
	t.Parallel()
	keys := clienttest.NewKeys(t)
	u := newUser(t)
	f := randomFile(t, t.TempDir(), "a.pdf", 100)
	// Port 1 (tcpmux, privileged): nothing listens there. A port freed by
	// closing a listener of this test could be taken by another test's
	// server in the seconds the retries take.
	r := u.run("", "submit", "--server", "http://127.0.0.1:1", "--root-pub", keys.RootPub.String(), f)
	if r.code != exitNetwork || r.stdout != "" {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stderr, "no answer from the server yet (network: connection refused); trying again in "); n < 10 {
		t.Fatalf("told of %d retries:\n%s", n, r.stderr)
	}
	if strings.Contains(r.stderr, "(1 try failed") {
		t.Fatalf("told of the first failure:\n%s", r.stderr)
	}
}

// TestCourierPullsInPages: a courier pulls every submission of a server
// that lists them two a page, each once; a second pull fetches nothing.
// Before, the courier read one answer only: past a page, submissions
// would never have been pulled.
func TestCourierPullsInPages(t *testing.T) {
	t.Parallel()
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	srv.SubmissionsPage = 2
	srv.Start(t)
	for i := range 5 {
		submittedTo(t, srv, fmt.Sprintf("dossier%d.pdf", i), 3000)
	}
	courier := newUser(t)
	inbox := t.TempDir()
	r := courier.ok("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	if pulled, _ := filepath.Glob(filepath.Join(inbox, "*.age")); len(pulled) != 5 || !strings.Contains(r.stderr, "pulled 5 new submissions; 5 listed") {
		t.Fatalf("pulled %v:\n%s", pulled, r.stderr)
	}
	r = courier.ok("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	if !strings.Contains(r.stderr, "pulled 0 new submissions; 5 listed") {
		t.Fatalf("second pull: %s", r.stderr)
	}
}

// TestStatusTellsOfSilentServer: a server that takes the connection and
// never answers (a censor's black hole) costs a time limit per try, so
// the first one that ends is told at once; before, the person sat a
// minute per try, two in all, without a word.
func TestStatusTellsOfSilentServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var held []net.Conn // open, never answered
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	u := &user{t: t, state: t.TempDir(), env: []string{answerTimeoutEnv + "=1s"}}
	r := u.run(testPhrase+"\n", "status", "--server", "http://"+ln.Addr().String())
	if r.code != exitNetwork || r.stdout != "" {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "refuge: no answer from the server yet (network: the server's answer did not end within 1s); trying again in ") ||
		!strings.Contains(r.stderr, " (1 try failed in a row, giving up after 3)") {
		t.Fatalf("the first try that timed out was not told:\n%s", r.stderr)
	}
}
