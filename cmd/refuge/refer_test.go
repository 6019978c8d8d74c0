package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"refuge/client/clienttest"
	"refuge/crypto/receipt"
	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
)

// TestRefer: a partner files a signed referral; the officer opens it, the
// signature verifies with the manifest's partner key, the form and the
// file come back as sent.
func TestRefer(t *testing.T) {
	t.Parallel()
	p := newPartner(t)
	srv, u, dir, base := p.srv, p.u, p.dir, p.base
	keyFile, passFile := p.keyFile, p.passFile
	doc := randomFile(t, dir, "threats.pdf", 40<<10)
	form := filepath.Join(dir, "referral.json")
	os.WriteFile(form, []byte(`{"defender_name":"A. Defender","nationality":"X","current_country":"Y",
"work":"land rights","risk":"arrest warrant","urgency":"medium","consent":true,
"safe_contact":"signal","referring_organisation":"FLD"}`), 0o600)

	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(`{"defender_name":"A. Defender",`), 0o600)
	unknown := filepath.Join(dir, "unknown.json")
	os.WriteFile(unknown, []byte(`{"defender_name":"A. Defender","passport_scan":"x"}`), 0o600)
	consentText := filepath.Join(dir, "consent-text.json")
	os.WriteFile(consentText, []byte(`{"defender_name":"A. Defender","consent":"yes"}`), 0o600)
	ageText := filepath.Join(dir, "age-text.json")
	os.WriteFile(ageText, []byte(`{"family_members":[{"name":"B","relationship":"child","age":"7"}]}`), 0o600)
	list := filepath.Join(dir, "list.json")
	os.WriteFile(list, []byte(`[{"defender_name":"A. Defender"}]`), 0o600)
	// A script that writes a field twice, or in another letter case: the
	// standard decoder took the last one, and "Consent" for "consent".
	twice := filepath.Join(dir, "twice.json")
	os.WriteFile(twice, []byte(`{"defender_name":"A. Defender","nationality":"X","current_country":"Y",
"work":"land rights","risk":"arrest warrant","urgency":"medium","consent":false,"consent":true,
"safe_contact":"signal","referring_organisation":"FLD"}`), 0o600)
	upper := filepath.Join(dir, "upper.json")
	os.WriteFile(upper, []byte(`{"defender_name":"A. Defender","nationality":"X","current_country":"Y",
"work":"land rights","risk":"arrest warrant","urgency":"medium","Consent":true,
"safe_contact":"signal","referring_organisation":"FLD"}`), 0o600)

	// Refusals first: nothing reaches the server.
	other, _ := signing.Generate()
	otherFile := filepath.Join(dir, "other.key")
	other.WriteFile(otherFile, []byte("partner pass"))
	tests := []struct {
		desc string
		args []string
		code int
		want string
	}{
		{"no consent", append(base, "--defender", "A", "--nationality", "X", "--country", "Y", "--work", "w", "--risk", "r", "--urgency", "high", "--contact", "c", "--referring-org", "o", doc), 2, "consent"},
		{"bad urgency", append(base, "--form", form, "--urgency", "soon", doc), 2, "urgency"},
		{"form not JSON", append(base, "--form", broken, doc), 2, "broken.json: the referral form is not valid"},
		{"form with an unknown field", append(base, "--form", unknown, doc), 2, `unknown field "passport_scan"`},
		{"consent as text", append(base, "--form", consentText, doc), 2, `consent-text.json: the referral form is not valid: field "consent" must be true or false`},
		{"age as text", append(base, "--form", ageText, doc), 2, `field "family_members.age" must be a whole number`},
		{"form a list", append(base, "--form", list, doc), 2, "list.json: the referral form is not valid: it must be a JSON object"},
		{"a field twice", append(base, "--form", twice, doc), 2, `twice.json: the referral form is not valid: field "consent" appears twice`},
		{"a field in another letter case", append(base, "--form", upper, doc), 2, `upper.json: the referral form is not valid: field "Consent" must be written "consent"`},
		{"no passphrase file and no terminal", []string{"refer", "--partner", "fld", "--partner-key", keyFile, "--form", form, doc}, 1, "no terminal to ask for the passphrase\nrefuge: hint: use --passphrase-file F"},
		{"wrong key", []string{"refer", "--partner", "fld", "--partner-key", otherFile, "--passphrase-file", passFile, "--form", form, doc}, 1, "not the key the manifest lists"},
		{"unknown partner", []string{"refer", "--partner", "nobody", "--partner-key", keyFile, "--passphrase-file", passFile, "--form", form, doc}, 1, "not in the officers' key manifest"},
	}
	for _, tt := range tests {
		r := u.run("", tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Fatalf("%s: exit %d, want %d with %q\n%s", tt.desc, r.code, tt.code, tt.want, r.stderr)
		}
	}
	if n := srv.Requests()["POST"]; n != 0 {
		t.Fatalf("a refused referral reached the server (%d POSTs)", n)
	}

	r := u.ok("", append(base, "--form", form, "--urgency", "high", "--family", "B:child:7", doc)...)
	phrase := phraseOf(t, r)
	subs, _ := srv.Store.Submissions(context.Background())
	if len(subs) != 1 || subs[0].Kind != "referral" || subs[0].Partner != "fld" {
		t.Fatalf("stored: %+v", subs)
	}
	inbox := t.TempDir()
	newUser(t).ok("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	res := openPulled(t, srv, filepath.Join(inbox, subs[0].ID+".age"))
	if !res.HasSignature() {
		t.Fatal("the referral is not signed")
	}
	if _, err := p.pub.Verify(res.ManifestJSON, res.Signature); err != nil {
		t.Fatalf("the partner signature does not verify: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(res.Dir, "referral.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got referral
	if err := json.Unmarshal(data, &got); err != nil || got.Urgency != "high" || got.DefenderName != "A. Defender" ||
		len(got.FamilyMembers) != 1 || got.FamilyMembers[0].Age != 7 || !got.Consent {
		t.Fatalf("referral.json: %s (%v)", data, err)
	}
	if fileHash(t, filepath.Join(res.Dir, "files", "threats.pdf")) != fileHash(t, doc) {
		t.Fatal("the referral's file differs")
	}
	if st := u.ok(phrase+"\n", "status"); !strings.Contains(st.stdout, "collected") {
		t.Fatalf("status: %s", st.stdout)
	}
}

// partnerSetup is a server whose manifest lists the partner "fld", and
// that partner's device: its key file, passphrase file and the start of
// a refer command line (the partner token is in u.env).
type partnerSetup struct {
	srv               *clienttest.Server
	u                 *user
	dir               string
	base              []string
	pub               signing.PublicKey
	keyFile, passFile string
}

func newPartner(t *testing.T) *partnerSetup {
	t.Helper()
	return newPartnerAt(t, nil)
}

// newPartnerAt is newPartner with the server's clock (nil: time.Now).
func newPartnerAt(t *testing.T, now func() time.Time) *partnerSetup {
	t.Helper()
	kdfcost.LowerForTests() // for the key file written here
	key, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "fld.key")
	if err := key.WriteFile(keyFile, []byte("partner pass")); err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("partner pass\n"), 0o600)
	keys := clienttest.NewKeys(t)
	keys.Partners = map[string]string{"fld": key.Public().String()}
	m, sig := keys.Manifest(t, 1, "2099-12-31")
	srv := clienttest.Setup(t, keys, m, sig, 1)
	srv.Now = now
	srv.Start(t)
	u := newUser(t)
	u.init(srv)
	u.env = []string{"REFUGE_TOKEN=" + srv.Partner}
	return &partnerSetup{srv: srv, u: u, dir: dir, pub: key.Public(), keyFile: keyFile, passFile: passFile,
		base: []string{"refer", "--partner", "fld", "--partner-key", keyFile, "--passphrase-file", passFile}}
}

// cutLink returns a link to the partner's server that lets the manifest
// and the token check through and no chunk of an upload (until
// SetEvery(1 << 40)), and the --server flag for it: a referral run through
// it shows its phrase and stops with exit 4, its state kept.
func (p *partnerSetup) cutLink(t *testing.T) (*clienttest.CutProxy, string) {
	cut := clienttest.StartCutProxy(t, p.srv.Addr, 32<<10) // less than the smallest chunk
	return cut, "--server=http://" + cut.Addr
}

// TestReferResumesExpiredUpload: a referral stopped after its phrase,
// run again after its upload's expiry day and before the server's sweep,
// sends the referral afresh under that phrase (the server answers 410;
// the run used to take the 409 of the new creation for a completed
// upload, say so and delete the sealed referral).
func TestReferResumesExpiredUpload(t *testing.T) {
	t.Parallel()
	var days atomic.Int64 // how far the server's clock is ahead
	p := newPartnerAt(t, func() time.Time { return time.Now().AddDate(0, 0, int(days.Load())) })
	cut, server := p.cutLink(t)
	doc := randomFile(t, p.dir, "passport.pdf", 20<<10)
	args := append(append(append([]string(nil), p.base...), p.form("A. Defender")...), server, doc)
	r := p.u.run("", args...)
	if r.code != 4 || !strings.Contains(r.stderr, "run the same command again") {
		t.Fatalf("cut link: exit %d\n%s", r.code, r.stderr)
	}
	phrase := phraseOf(t, r)
	days.Store(8) // past the upload's expiry day; no sweep ran
	cut.SetEvery(1 << 40)
	r = p.u.run("", args...)
	if r.code != 0 || r.stdout != "" || strings.Contains(r.stderr, "had completed") || !strings.Contains(r.stderr, "sending it again from the start") {
		t.Fatalf("run again after expiry: exit %d\nstdout: %s\n%s", r.code, r.stdout, r.stderr)
	}
	pendingEmpty(t, p.u)
	if got := p.referredName(t, phrase); got != "A. Defender" {
		t.Fatalf("the phrase's referral names %q", got)
	}
}

// form is the field flags of a complete referral for defender.
func (p *partnerSetup) form(defender string) []string {
	return []string{"--defender", defender, "--nationality", "X", "--country", "Y", "--work", "w", "--risk", "r",
		"--urgency", "high", "--contact", "c", "--referring-org", "o", "--consent"}
}

// referredName opens the submission of phrase as an officer and returns
// the defender named in its referral.json.
func (p *partnerSetup) referredName(t *testing.T, phrase string) string {
	t.Helper()
	pp, err := receipt.Parse([]byte(phrase))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := receipt.Derive(pp)
	if err != nil {
		t.Fatal(err)
	}
	inbox := t.TempDir()
	newUser(t).ok("", "courier", "pull", "--server", p.srv.URL, "--token", p.srv.Courier, "-o", inbox)
	res := openPulled(t, p.srv, filepath.Join(inbox, keys.SubmissionID()+".age"))
	data, err := os.ReadFile(filepath.Join(res.Dir, "referral.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r referral
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r.DefenderName
}

// TestReferOtherDefenderSameFiles: a batch refers two defenders with the
// same supporting file and forms given as flags. The first stops before
// its upload is done (here: a token the server refuses), which keeps its
// state for the same command to resume. The second is a referral of its
// own, with its own phrase: it must not resume the first one's upload
// (which sent the first defender's form, or sealed the second's under the
// first one's phrase, and printed no phrase).
func TestReferOtherDefenderSameFiles(t *testing.T) {
	t.Parallel()
	p := newPartner(t)
	doc := randomFile(t, p.dir, "shared-evidence.pdf", 20<<10)
	cut, server := p.cutLink(t)
	first := append(append(append([]string(nil), p.base...), p.form("First Defender")...), server, doc)
	second := append(append(append([]string(nil), p.base...), p.form("Second Defender")...), server, doc)

	r := p.u.run("", first...)
	if r.code != 4 {
		t.Fatalf("cut link: exit %d\n%s", r.code, r.stderr)
	}
	firstPhrase := phraseOf(t, r)
	cut.SetEvery(1 << 40)

	r = p.u.ok("", second...)
	if strings.Contains(r.stderr, "resuming") {
		t.Fatalf("the second defender's referral resumed the first one's:\n%s", r.stderr)
	}
	secondPhrase := phraseOf(t, r)
	if got := p.referredName(t, secondPhrase); got != "Second Defender" {
		t.Fatalf("the second phrase's referral names %q", got)
	}

	// The first, run again as it was, resumes under its own phrase.
	if r := p.u.ok("", first...); r.stdout != "" || !strings.Contains(r.stderr, "resuming") {
		t.Fatalf("the first referral run again did not resume:\nstdout: %s\n%s", r.stdout, r.stderr)
	}
	if got := p.referredName(t, firstPhrase); got != "First Defender" {
		t.Fatalf("the first phrase's referral names %q", got)
	}
	pendingEmpty(t, p.u)
}

// TestReferReceiptOutRunAgain: a referral that wrote its phrase to
// --receipt-out and stopped before its upload was done (here the link
// failed) is finished by the same command, run again: the run resumes
// under that phrase and leaves the file as it is, instead of refusing
// because the file exists. A new referral never overwrites the file.
func TestReferReceiptOutRunAgain(t *testing.T) {
	t.Parallel()
	p := newPartner(t)
	cut, server := p.cutLink(t)
	doc := randomFile(t, p.dir, "passport.pdf", 20<<10)
	out := filepath.Join(p.dir, "case-7.phrase")
	args := append(append(append([]string(nil), p.base...), p.form("A. Defender")...), server, "--receipt-out", out, doc)

	r := p.u.run("", args...)
	if r.code != 4 || !strings.Contains(r.stderr, "run the same command again") {
		t.Fatalf("cut link: exit %d\n%s", r.code, r.stderr)
	}
	phrase := phraseOf(t, r)
	written, err := os.ReadFile(out)
	if err != nil || strings.TrimSpace(string(written)) != phrase {
		t.Fatalf("--receipt-out: %q (%v), printed %q", written, err, phrase)
	}

	cut.SetEvery(1 << 40)
	r = p.u.ok("", args...)
	if r.stdout != "" || !strings.Contains(r.stderr, "resuming") {
		t.Fatalf("run again:\nstdout: %s\n%s", r.stdout, r.stderr)
	}
	if again, _ := os.ReadFile(out); string(again) != string(written) {
		t.Fatal("the run again changed the --receipt-out file")
	}
	if got := p.referredName(t, phrase); got != "A. Defender" {
		t.Fatalf("the phrase's referral names %q", got)
	}
	pendingEmpty(t, p.u)

	// Done: the same command now is a new referral, which needs a new
	// phrase and so refuses to overwrite the file; nothing is sent.
	before := p.srv.Requests()["POST"]
	if r := p.u.run("", args...); r.code != 1 || !strings.Contains(r.stderr, "already exists") || r.stdout != "" {
		t.Fatalf("a new referral with an existing --receipt-out: exit %d\nstdout: %s\n%s", r.code, r.stdout, r.stderr)
	}
	if p.srv.Requests()["POST"] != before {
		t.Fatal("a refused referral reached the server")
	}
	pendingEmpty(t, p.u)
}

// TestReferTokenCheckedFirst: refer asks the server whether its token is
// a partner's before it makes a receipt phrase. Before, a wrong or revoked
// token was found by the upload, after the phrase had been printed and
// written to --receipt-out: the partner was left with a phrase for a
// referral that had not gone. Now such a run prints no phrase, writes no
// file, keeps no state and sends no upload. A server too old to answer
// the question (404) leaves it to the upload, as before.
func TestReferTokenCheckedFirst(t *testing.T) {
	t.Parallel()
	p := newPartner(t)
	doc := randomFile(t, p.dir, "passport.pdf", 20<<10)
	out := filepath.Join(p.dir, "case-8.phrase")
	args := append(append(append([]string(nil), p.base...), p.form("A. Defender")...), "--receipt-out", out, doc)
	for name, c := range map[string]struct{ token, want string }{
		"unknown": {strings.Repeat("ab", 32), "unknown or revoked token"},
		"courier": {p.srv.Courier, "this token is a courier's, not a partner's"},
	} {
		before := p.srv.Requests()["POST"]
		u := &user{t: t, state: p.u.state, env: []string{"REFUGE_TOKEN=" + c.token}}
		r := u.run("", args...)
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, c.want) ||
			!strings.Contains(r.stderr, "no receipt phrase was made") || strings.Contains(r.stderr, "stays valid") {
			t.Fatalf("%s token: exit %d\nstdout: %s\n%s", name, r.code, r.stdout, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s token: --receipt-out was written", name)
		}
		if p.srv.Requests()["POST"] != before {
			t.Fatalf("%s token: an upload was created", name)
		}
		pendingEmpty(t, p.u)
	}

	// A server from before GET /v1/token: the run goes on, and the
	// upload finds the token wrong after the phrase, as it used to.
	target, err := url.Parse(p.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			w.Write([]byte(`{"error":{"code":"not_found","message":"no such endpoint"}}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer old.Close()
	bad := &user{t: t, state: p.u.state, env: []string{"REFUGE_TOKEN=" + strings.Repeat("ab", 32)}}
	r := bad.run("", append(args, "--server", old.URL)...)
	if r.code != 1 || !strings.Contains(r.stderr, "the receipt phrase above stays valid") {
		t.Fatalf("older server, refused token: exit %d\n%s", r.code, r.stderr)
	}
	phraseOf(t, r)
	// With the right token, the same command finishes that referral.
	r = p.u.ok("", append(args, "--server", old.URL)...)
	if r.stdout != "" || !strings.Contains(r.stderr, "resuming") {
		t.Fatalf("run again:\nstdout: %s\n%s", r.stdout, r.stderr)
	}
	pendingEmpty(t, p.u)
}

// TestReferFormRewrittenResumes: a script that writes the form file (and
// the note) afresh from its case-management system before each run gets
// files with the same content and a new modification time. The run again
// resumes the referral under the phrase already shown, instead of
// starting a second referral and leaving the first one's upload behind.
func TestReferFormRewrittenResumes(t *testing.T) {
	t.Parallel()
	p := newPartner(t)
	doc := randomFile(t, p.dir, "passport.pdf", 20<<10)
	form := filepath.Join(p.dir, "case-9.json")
	note := filepath.Join(p.dir, "case-9.txt")
	write := func(when time.Time) {
		os.WriteFile(form, []byte(`{"defender_name":"A. Defender","nationality":"X","current_country":"Y",
"work":"w","risk":"r","urgency":"low","consent":true,"safe_contact":"s","referring_organisation":"o"}`), 0o600)
		os.WriteFile(note, []byte("call before noon"), 0o600)
		for _, f := range []string{form, note} {
			if err := os.Chtimes(f, when, when); err != nil {
				t.Fatal(err)
			}
		}
	}
	cut, server := p.cutLink(t)
	args := append(append([]string(nil), p.base...), "--form", form, "--note-file", note, server, doc)

	write(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	r := p.u.run("", args...)
	if r.code != 4 {
		t.Fatalf("cut link: exit %d\n%s", r.code, r.stderr)
	}
	phrase := phraseOf(t, r)
	cut.SetEvery(1 << 40)

	write(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	if r := p.u.ok("", args...); r.stdout != "" || !strings.Contains(r.stderr, "resuming") {
		t.Fatalf("run again with the form written afresh:\nstdout: %s\n%s", r.stdout, r.stderr)
	}
	pendingEmpty(t, p.u)
	if got := p.referredName(t, phrase); got != "A. Defender" {
		t.Fatalf("the phrase's referral names %q", got)
	}
	if subs, _ := p.srv.Store.Submissions(context.Background()); len(subs) != 1 {
		t.Fatalf("%d submissions, want 1", len(subs))
	}
}

// TestReferStdinOnce: standard input can be read once, so a script that
// gives the form and the passphrase (or the note) both as /dev/stdin is
// refused at once, exit 2, naming the flags, nothing sent and nothing
// printed on standard output. Before, the form's reading took the
// passphrase line too and failed as not JSON, or the key's took the
// form's first line and the form was left with "data after the JSON
// value". The form alone on standard input is still read.
func TestReferStdinOnce(t *testing.T) {
	t.Parallel()
	p := newPartner(t)
	doc := randomFile(t, p.dir, "a.pdf", 1<<10)
	form := `{"defender_name":"A. Defender","nationality":"X","current_country":"Y","work":"land rights",
"risk":"arrest warrant","urgency":"medium","consent":true,"safe_contact":"signal","referring_organisation":"FLD"}`
	refer := []string{"refer", "--partner", "fld", "--partner-key", p.keyFile}
	for _, tc := range []struct {
		desc, stdin string
		args        []string
		want        string
	}{
		{"passphrase first", "partner pass\n" + form, []string{"--passphrase-file", "/dev/stdin", "--form", "/dev/stdin"},
			"--form and --passphrase-file both read standard input"},
		{"form first", form + "\npartner pass\n", []string{"--form", "/dev/stdin", "--passphrase-file", "/dev/stdin"},
			"--form and --passphrase-file both read standard input"},
		{"/dev/fd/0", form + "\npartner pass\n", []string{"--form", "/dev/fd/0", "--passphrase-file", "/dev/stdin"},
			"--form and --passphrase-file both read standard input"},
		{"the form and the note", form, []string{"--passphrase-file", p.passFile, "--form", "/dev/stdin", "--note-file", "-"},
			"--form and --note-file both read standard input"},
		{"all three", form, []string{"--passphrase-file", "/dev/stdin", "--form", "/dev/stdin", "--note-file", "-"},
			"--form and --passphrase-file and --note-file all read standard input"},
	} {
		r := p.u.run(tc.stdin, append(append(append([]string(nil), refer...), tc.args...), doc)...)
		if r.code != 2 || !strings.Contains(r.stderr, "error: "+tc.want+", which can be read only once; nothing was sent") ||
			!strings.Contains(r.stderr, "hint: let one of them read standard input") || r.stdout != "" {
			t.Fatalf("%s: exit %d, want 2 with %q\nstdout: %s\nstderr: %s", tc.desc, r.code, tc.want, r.stdout, r.stderr)
		}
	}
	if n := p.srv.Requests()["POST"]; n != 0 {
		t.Fatalf("a refused referral reached the server (%d POSTs)", n)
	}
	r := p.u.ok(form, append(append([]string(nil), p.base...), "--form", "/dev/stdin", doc)...)
	if p.referredName(t, phraseOf(t, r)) != "A. Defender" {
		t.Fatal("the form read from standard input did not arrive")
	}
}
