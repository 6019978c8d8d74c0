package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
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

// TestPullLeavesOutHostileUploaders: the courier writes UPLOADERS (who
// uploaded each bundle, as the server recorded it) for the officer's
// report. A compromised server's list that names a partner with a line
// break (which would add a made-up line) or an escape sequence for the
// officer's terminal is refused whole: nothing saved, none of it printed.
// A record whose kind is a word the courier does not know is left out of
// UPLOADERS with a warning, and its bundle is still pulled. A later pull
// keeps the entries of bundles the server no longer lists.
func TestPullLeavesOutHostileUploaders(t *testing.T) {
	t.Parallel()
	body := []byte("ciphertext, as far as the courier can tell")
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	ids := []string{strings.Repeat("1", 32), strings.Repeat("2", 32), strings.Repeat("3", 32)}
	sub := func(id, kind, partner string) api.Submission {
		return api.Submission{ID: id, Kind: kind, Partner: partner, Status: "received",
			Size: int64(len(body)), SHA256: hexSum, Received: "2026-11-30"}
	}
	var listed atomic.Pointer[[]api.Submission]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == api.PathEvents:
			json.NewEncoder(w).Encode(api.EventList{Next: 1})
		case r.URL.Path == api.PathSubmissions:
			json.NewEncoder(w).Encode(api.SubmissionList{Submissions: *listed.Load()})
		default:
			w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	u := newUser(t)
	out := filepath.Join(t.TempDir(), "inbox")
	pull := func() result {
		return u.run("", "courier", "pull", "--server", srv.URL, "--proxy", "direct", "--token", strings.Repeat("ab", 32), "-o", out)
	}

	for name, partner := range map[string]string{
		"line break":      "fld\n" + ids[2] + ".age relay Made Up",
		"escape sequence": "fld\x1b]52;c;aGk=\a",
	} {
		listed.Store(&[]api.Submission{sub(ids[0], "relay", partner), sub(ids[1], "relay", "Front Line Office")})
		r := pull()
		if r.code != 1 || !strings.Contains(r.stderr, "malformed submission") ||
			strings.ContainsAny(r.stderr, "\x1b\a") || strings.Contains(r.stderr, "Made Up") {
			t.Fatalf("%s: exit %d\n%q", name, r.code, r.stderr)
		}
		if left, _ := filepath.Glob(filepath.Join(out, "*")); slices.ContainsFunc(left, func(p string) bool {
			return strings.HasSuffix(p, ".age") || strings.HasSuffix(p, "UPLOADERS")
		}) {
			t.Fatalf("%s: a refused list left %v", name, left)
		}
	}

	listed.Store(&[]api.Submission{sub(ids[0], "courier", "x"), sub(ids[1], "relay", "Front Line Office")})
	r := pull()
	if r.code != 0 || !strings.Contains(r.stderr, "warning: the server's record of who uploaded "+ids[0]+" is malformed") {
		t.Fatalf("pull: exit %d\n%s", r.code, r.stderr)
	}
	for _, id := range ids[:2] {
		if _, err := os.Stat(filepath.Join(out, id+".age")); err != nil {
			t.Fatalf("%s was not pulled: %v", id, err)
		}
	}
	want := "# refuge courier pull: who uploaded each bundle, as the server recorded it (not signed)\n" + ids[1] + ".age relay Front Line Office\n"
	if got, err := os.ReadFile(filepath.Join(out, "UPLOADERS")); err != nil || string(got) != want {
		t.Fatalf("UPLOADERS: %q (%v), want %q", got, err, want)
	}

	// The next pull, once the server no longer lists them (deleted after
	// their acknowledgement), keeps what the first wrote.
	listed.Store(&[]api.Submission{})
	if r := pull(); r.code != 0 {
		t.Fatalf("second pull: exit %d\n%s", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(out, "UPLOADERS")); string(again) != want {
		t.Fatalf("UPLOADERS after a pull that lists nothing: %q", again)
	}
}

// TestServerErrorRefusesTerminalEscapes: a compromised server answers
// every request with an error whose message and code hold terminal escape
// sequences (one that sets the clipboard, one that rewrites the window
// title) and a line break that forges a line of output. The message was
// printed as it came, to the defender's or the courier's terminal; now
// what a terminal would act on is replaced, and a long message is cut.
func TestServerErrorRefusesTerminalEscapes(t *testing.T) {
	t.Parallel()
	evil := "\x1b]52;c;cm0gLXJmIH4K\x07"
	tests := []struct {
		desc string
		body api.Error
	}{
		{"message", api.Error{Code: api.CodeBadRequest, Message: "no such submission" + evil}},
		{"message with a forged line", api.Error{Code: api.CodeBadRequest, Message: "gone\nrefuge: status: received\r\x1b]0;title\x07"}},
		{"code", api.Error{Code: api.Code("bad_request" + evil), Message: "no such submission"}},
		{"bidi override", api.Error{Code: api.CodeBadRequest, Message: "gpj.\u202eexe"}},
		{"huge message", api.Error{Code: api.CodeBadRequest, Message: strings.Repeat("x", 60<<10)}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(api.ErrorBody{Error: &tc.body})
			}))
			defer srv.Close()
			r := newUser(t).run(newPhrase(t)+"\n", "status", "--server", srv.URL)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
			}
			if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07\r\u202e") {
				t.Fatalf("an escape sequence reached the terminal:\nstdout: %q\nstderr: %q", r.stdout, r.stderr)
			}
			for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
				if !strings.HasPrefix(l, "refuge: ") {
					t.Fatalf("the server's message forged a line of output: %q\nstderr: %q", l, r.stderr)
				}
			}
			if len(r.stderr) > 4<<10 {
				t.Fatalf("a %d-byte message from the server was printed whole", len(r.stderr))
			}
		})
	}
}

// hostileCourierServer is a compromised server as the courier meets it:
// an empty event log, the submission list subs, and ack as the answer to
// every acknowledgement.
func hostileCourierServer(t *testing.T, subs []api.Submission, ack api.AckResult) *httptest.Server {
	t.Helper()
	return courierServer(t, func() []api.Submission { return subs }, nil, ack)
}

// courierServer answers a courier: an empty event log, the submissions
// that list returns at each request (a test may change them between
// pulls), data as the ciphertext of any submission (none if nil), and ack
// to an acknowledgement.
func courierServer(t *testing.T, list func() []api.Submission, data []byte, ack api.AckResult) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ciphertext := strings.HasPrefix(r.URL.Path, api.PathSubmissions+"/") && strings.HasSuffix(r.URL.Path, "/ciphertext")
		if !ciphertext {
			w.Header().Set("Content-Type", "application/json")
		}
		switch {
		case r.URL.Path == api.PathEvents:
			json.NewEncoder(w).Encode(api.EventList{Events: []api.Event{}, Next: 1})
		case r.URL.Path == api.PathSubmissions:
			json.NewEncoder(w).Encode(api.SubmissionList{Submissions: list()})
		case r.URL.Path == api.PathAcks:
			json.NewEncoder(w).Encode(ack)
		case ciphertext && data != nil:
			w.Write(data)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCourierRefusesHostileLists: a compromised server lists submissions
// whose fields are not what a refuge-server gives: a hash holding a line
// break and a terminal escape sequence (written as it came into
// SHA256SUMS, which the officers check the inbox with, and shown by
// "sha256sum -c" on their machine), a size below zero, an id that is a
// path (skipped without a word before); or answers an acknowledgement
// with a submission id holding an escape sequence (printed as it came).
// Each is now refused: exit 1 naming a malformed answer, SHA256SUMS as it
// was, the acknowledgement left in place, nothing of it printed.
func TestCourierRefusesHostileLists(t *testing.T) {
	t.Parallel()
	evil := "\x1b]52;c;cm0gLXJmIH4K\x07"
	id := strings.Repeat("ab", 16)
	good := api.Submission{ID: id, Kind: "anonymous", Received: "2026-11-30", Status: "received", Size: 3, SHA256: strings.Repeat("0", 64), Replies: []api.Reply{}}
	with := func(f func(*api.Submission)) []api.Submission {
		s := good
		f(&s)
		return []api.Submission{s}
	}
	for _, tc := range []struct {
		desc string
		subs []api.Submission
	}{
		{"hash with a line and an escape", with(func(s *api.Submission) { s.SHA256 += "  forged.age\n" + evil })},
		{"upper-case hash", with(func(s *api.Submission) { s.SHA256 = strings.Repeat("A", 64) })},
		{"negative size", with(func(s *api.Submission) { s.Size = -1 })},
		{"id that is a path", with(func(s *api.Submission) { s.ID = "../" + id })},
		{"status with an escape", with(func(s *api.Submission) { s.Status = "received" + evil })},
		{"day that is not a day", with(func(s *api.Submission) { s.Received = "2026-11-30" + evil })},
		{"reply id that is a path", with(func(s *api.Submission) {
			s.Replies = []api.Reply{{ID: "../x", Size: 1, SHA256: strings.Repeat("0", 64), Created: "2026-11-30"}}
		})},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			srv := hostileCourierServer(t, tc.subs, api.AckResult{})
			dir := t.TempDir()
			// Pulled before: the file is there, so nothing is downloaded and
			// only SHA256SUMS is written.
			sums := strings.Repeat("0", 64) + "  " + id + ".age\n"
			os.WriteFile(filepath.Join(dir, id+".age"), []byte("age"), 0o600)
			os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(sums), 0o600)
			r := newUser(t).run("", "courier", "pull", "--server", srv.URL, "--token", strings.Repeat("ab", 32), "-o", dir)
			if r.code != 1 || !strings.Contains(r.stderr, "malformed") {
				t.Fatalf("exit %d, want 1 naming a malformed list\nstderr: %q", r.code, r.stderr)
			}
			if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
				t.Fatalf("an escape sequence reached the terminal: %q", r.stderr)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS")); string(got) != sums {
				t.Fatalf("SHA256SUMS changed to %q", got)
			}
		})
	}

	t.Run("acknowledgement answered with an escape", func(t *testing.T) {
		srv := hostileCourierServer(t, nil, api.AckResult{SubmissionID: id + evil, Deleted: true})
		dir := t.TempDir()
		ack := filepath.Join(dir, "acks", id+".json")
		os.MkdirAll(filepath.Dir(ack), 0o700)
		os.WriteFile(ack, []byte("{}"), 0o600)
		os.WriteFile(ack+".minisig", []byte("sig"), 0o600)
		r := newUser(t).run("", "courier", "push", "--server", srv.URL, "--token", strings.Repeat("ab", 32), dir)
		if r.code != 1 || !strings.Contains(r.stderr, "malformed") {
			t.Fatalf("exit %d, want 1 naming a malformed answer\nstderr: %q", r.code, r.stderr)
		}
		if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
			t.Fatalf("an escape sequence reached the terminal: %q", r.stderr)
		}
		if _, err := os.Stat(ack); err != nil {
			t.Fatalf("the acknowledgement was moved: %v", err)
		}
	})
}

// TestPullKeepsCheckedHash: courier pull writes SHA256SUMS, with which the
// officers check the inbox on their machine. It wrote the hash the server
// listed at the time of writing, for every file, also those pulled and
// checked on an earlier run: a seized server could list another hash
// later, and SHA256SUMS then vouched for whatever the server chose (a
// file swapped on the stick would pass "sha256sum -c", the true one
// fail). Now SHA256SUMS keeps the hash each file was checked against,
// and says so when the server's record changed; a file with no line (a
// pull stopped before SHA256SUMS was written) gets the hash of its bytes.
func TestPullKeepsCheckedHash(t *testing.T) {
	t.Parallel()
	data := []byte("the ciphertext as the defender uploaded it")
	sum := sha256.Sum256(data)
	checked := hex.EncodeToString(sum[:])
	claimed := strings.Repeat("0", 64)
	id := strings.Repeat("cd", 16)
	var listed atomic.Value
	listed.Store(checked)
	srv := courierServer(t, func() []api.Submission {
		return []api.Submission{{ID: id, Kind: "anonymous", Received: "2026-11-30", Status: "received",
			Size: int64(len(data)), SHA256: listed.Load().(string), Replies: []api.Reply{}}}
	}, data, api.AckResult{})
	dir := t.TempDir()
	u := newUser(t)
	pull := func() result {
		return u.ok("", "courier", "pull", "--server", srv.URL, "--token", strings.Repeat("ab", 32), "-o", dir)
	}
	want := checked + "  " + id + ".age\n"
	sums := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
		return string(b)
	}
	if r := pull(); sums() != want || strings.Contains(r.stderr, "warning") {
		t.Fatalf("first pull: SHA256SUMS %q, want %q\nstderr %q", sums(), want, r.stderr)
	}
	listed.Store(claimed)
	r := pull()
	if sums() != want {
		t.Fatalf("after the server listed another hash, SHA256SUMS is %q, want %q", sums(), want)
	}
	if !strings.Contains(r.stderr, "another SHA-256 for "+id+".age") {
		t.Fatalf("the changed record was not told: %q", r.stderr)
	}
	os.Remove(filepath.Join(dir, "SHA256SUMS"))
	if r := pull(); sums() != want || !strings.Contains(r.stderr, "another SHA-256") {
		t.Fatalf("a file with no line: SHA256SUMS %q, want %q\nstderr %q", sums(), want, r.stderr)
	}
}

// A seized server cannot change, after a pull, who UPLOADERS says
// uploaded a bundle: the first record stands, the change is warned of,
// and a bundle pulled for the first time gets the server's record.
func TestPullKeepsFirstUploader(t *testing.T) {
	t.Parallel()
	data := []byte("a relayed bundle")
	sum := sha256.Sum256(data)
	id, other := strings.Repeat("ef", 16), strings.Repeat("12", 16)
	var kind, partner, listOther atomic.Value
	kind.Store("relay")
	partner.Store("Front Line Office")
	listOther.Store(false)
	srv := courierServer(t, func() []api.Submission {
		sub := func(id string) api.Submission {
			return api.Submission{ID: id, Kind: kind.Load().(string), Partner: partner.Load().(string),
				Received: "2026-11-30", Status: "received", Size: int64(len(data)),
				SHA256: hex.EncodeToString(sum[:]), Replies: []api.Reply{}}
		}
		list := []api.Submission{sub(id)}
		if listOther.Load().(bool) {
			list = append(list, sub(other))
		}
		return list
	}, data, api.AckResult{})
	dir := t.TempDir()
	u := newUser(t)
	pull := func() result {
		return u.ok("", "courier", "pull", "--server", srv.URL, "--token", strings.Repeat("ab", 32), "-o", dir)
	}
	list := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "UPLOADERS"))
		return string(b)
	}
	first := id + ".age relay Front Line Office\n"
	if r := pull(); !strings.HasSuffix(list(), first) || strings.Contains(r.stderr, "warning") {
		t.Fatalf("first pull: UPLOADERS %q\nstderr %q", list(), r.stderr)
	}
	for _, c := range []struct{ kind, partner string }{{"anonymous", ""}, {"relay", "Another Office"}, {"referral", "Front Line Office"}} {
		kind.Store(c.kind)
		partner.Store(c.partner)
		r := pull()
		if !strings.HasSuffix(list(), first) || strings.Count(list(), "\n") != 2 {
			t.Fatalf("after the server recorded %s %q: UPLOADERS %q", c.kind, c.partner, list())
		}
		if !strings.Contains(r.stderr, "another uploader for "+id+".age") {
			t.Fatalf("the changed record (%s %q) was not told: %q", c.kind, c.partner, r.stderr)
		}
	}
	listOther.Store(true)
	pull()
	if want := other + ".age referral Front Line Office\n" + first; !strings.HasSuffix(list(), want) {
		t.Fatalf("a newly pulled bundle: UPLOADERS %q, want it to end with %q", list(), want)
	}
}
