package main

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/client/clienttest"
	"refuge/crypto/ack"
	"refuge/crypto/bundle"
	"refuge/crypto/manifest"
	"refuge/crypto/receipt"
	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
	"refuge/server/api"
)

// signedReplyServer starts a real refuge-server whose key manifest is
// version 2, with a new acknowledgement key, and returns it with the
// acknowledgement key of version 1 (stale: a reply it signs is not the
// officers' any more).
func signedReplyServer(t *testing.T) (*clienttest.Server, minisign.PrivateKey) {
	t.Helper()
	keys := clienttest.NewKeys(t)
	stale := keys.AckPriv
	var err error
	if keys.AckPub, keys.AckPriv, err = minisign.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	m, sig := keys.Manifest(t, 2, "2099-12-31")
	return clienttest.Setup(t, keys, m, sig, 2).Start(t), stale
}

// signer signs a reply's manifest.json with a raw minisign key.
func signer(key minisign.PrivateKey) func([]byte) ([]byte, error) {
	return func(mj []byte) ([]byte, error) {
		return minisign.SignWithComments(key, mj, "refuge reply", "untrusted comment"), nil
	}
}

// replyBundle seals a reply bundle to keys' reply recipient.
func replyBundle(t *testing.T, keys *receipt.Keys, c bundle.Contents) []byte {
	t.Helper()
	if c.Kind == "" {
		c.Kind = bundle.KindReply
	}
	if c.SubmissionID == "" {
		c.SubmissionID = keys.SubmissionID()
	}
	var b bytes.Buffer
	if _, err := bundle.Seal(&b, []age.Recipient{keys.Recipient()}, c); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pushReplies puts bodies into a new outbox as refuge-officer reply does,
// and pushes them with the courier token: what a leaked courier token, or
// the officers, can do.
func pushReplies(t *testing.T, srv *clienttest.Server, sub string, bodies ...[]byte) {
	t.Helper()
	outbox := t.TempDir()
	dir := filepath.Join(outbox, "replies", sub)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		var rnd [8]byte
		rand.Read(rnd[:])
		if err := os.WriteFile(filepath.Join(dir, "reply-"+hex.EncodeToString(rnd[:])+".age"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	newUser(t).ok("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, outbox)
}

// shownReplies splits refuge replies' standard output into its replies:
// header line by the message's first line (each test message is one line),
// without the mark that begins it.
func shownReplies(t *testing.T, stdout string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, block := range strings.Split(stdout, "--- reply ")[1:] {
		header, rest, _ := strings.Cut(block, "\n")
		msg, _, _ := strings.Cut(rest, "\n")
		got[strings.TrimPrefix(msg, "| ")] = header
	}
	return got
}

// TestRepliesSigned: through a real refuge-server, a reply signed with the
// acknowledgement key of the served key manifest is shown as signed by the
// officers. Every other reply that opens is still shown and saved, but
// marked as NOT SIGNED on its header line, warned about on standard error
// (never quoting it) and, with -o, saved with a warning file beside it: an
// unsigned bundle (as every reply before signed replies), a plain age
// message, one signed by a partner's key, by the acknowledgement key of an
// older manifest, a signature over another reply, an acknowledgement's
// signature moved onto a reply, and bundles with two signature entries, an
// oversized one, an entry after the signature or the signature before the
// manifest (not bundles: shown as plain messages). A signed reply to
// another submission, the officers' signed reply to another submission
// listed here (sealed to that submission's reply key), and the officers'
// signed manifest with another message than it lists, are not shown.
func TestRepliesSigned(t *testing.T) {
	t.Parallel()
	srv, stale := signedReplyServer(t)
	u, phrase := submittedTo(t, srv, "report.pdf", 4<<10)
	keys := derive(t, phrase)
	sub := keys.SubmissionID()
	_, partner, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	officers := signer(srv.Keys.AckPriv)
	otherMJ := bytes.Replace(replyManifest(t, keys, "Meet at 5 Main Street (other)"), []byte("Main"), []byte("Side"), 1)
	stmt, err := ack.Statement{SubmissionID: sub, SHA256: sha256.Sum256([]byte("ciphertext"))}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ackSig := minisign.SignWithComments(srv.Keys.AckPriv, stmt, "refuge acknowledgement "+sub, "untrusted comment")
	plain := plainReplyBody(t, keys, "Meet at 5 Main Street (plain)")

	const signedHeader = "signed by the officers on "
	const notSigned = "NOT SIGNED: may not be from the officers ---"
	cases := []struct {
		msg    string
		body   []byte
		signed bool
		why    string
	}{
		{"Accepted; come to the interview (signed)", replyBundle(t, keys, bundle.Contents{Note: []byte("Accepted; come to the interview (signed)"), Sign: officers}), true, ""},
		{"Meet at 5 Main Street (unsigned)", replyBundle(t, keys, bundle.Contents{Note: []byte("Meet at 5 Main Street (unsigned)")}), false, "it carries no signature"},
		{"Meet at 5 Main Street (plain)", plain, false, "it is a plain message, which carries no signature"},
		{"Meet at 5 Main Street (partner)", replyBundle(t, keys, bundle.Contents{Note: []byte("Meet at 5 Main Street (partner)"), Sign: signer(partner)}), false, "its signature is not the officers' acknowledgement key's"},
		{"Meet at 5 Main Street (stale)", replyBundle(t, keys, bundle.Contents{Note: []byte("Meet at 5 Main Street (stale)"), Sign: signer(stale)}), false, "its signature is not the officers' acknowledgement key's"},
		{"Meet at 5 Main Street (other bytes)", replyBundle(t, keys, bundle.Contents{Note: []byte("Meet at 5 Main Street (other bytes)"),
			Sign: func([]byte) ([]byte, error) { return officers(otherMJ) }}), false, "its signature is not the officers' acknowledgement key's"},
		{"Meet at 5 Main Street (ack signature)", replyBundle(t, keys, bundle.Contents{Note: []byte("Meet at 5 Main Street (ack signature)"),
			Sign: func([]byte) ([]byte, error) { return ackSig, nil }}), false, "its signature is not the officers' acknowledgement key's"},
	}
	var bodies [][]byte
	for _, c := range cases {
		bodies = append(bodies, c.body)
	}
	pushReplies(t, srv, sub, bodies...)

	out := filepath.Join(t.TempDir(), "replies")
	for _, args := range [][]string{{"replies"}, {"replies", "-o", out}} {
		r := u.ok(phrase+"\n", args...)
		shown := shownReplies(t, r.stdout)
		if len(shown) != len(cases) {
			t.Fatalf("%v showed %d replies, want %d:\n%s", args, len(shown), len(cases), r.stdout)
		}
		for _, c := range cases {
			h := shown[c.msg]
			switch {
			case c.signed && !strings.Contains(h, signedHeader+time.Now().UTC().Format("2006-01-02")+" ---"):
				t.Errorf("%v: the signed reply's header: %q", args, h)
			case !c.signed && !strings.HasSuffix(h, notSigned):
				t.Errorf("%v: %q shown with header %q, want it to end %q", args, c.msg, h, notSigned)
			case !c.signed && !strings.Contains(r.stderr, "is NOT signed by the officers ("+c.why+"): it may not come from them; before acting on it, confirm it through the organisation that referred you"):
				t.Errorf("%v: no warning with %q on stderr:\n%s", args, c.why, r.stderr)
			}
		}
		if !strings.Contains(r.stderr, "warning: 6 replies of 7 shown may not come from the officers (the reasons are above); before acting on any of them, confirm it through the organisation that referred you, or another channel you trust") {
			t.Errorf("%v: no summary warning:\n%s", args, r.stderr)
		}
		if strings.Contains(r.stderr, "Main Street") || strings.Contains(r.stderr, "interview") {
			t.Errorf("%v: stderr quotes a reply:\n%s", args, r.stderr)
		}
	}

	// -o: a warning file beside exactly the replies not signed.
	saved, _ := filepath.Glob(filepath.Join(out, "reply-*"))
	if len(saved) != len(cases) {
		t.Fatalf("saved %d replies, want %d", len(saved), len(cases))
	}
	warned := 0
	for _, dir := range saved {
		note, err := os.ReadFile(filepath.Join(dir, sub, "note.txt"))
		if err != nil {
			note, err = os.ReadFile(filepath.Join(dir, "message.txt"))
		}
		if err != nil {
			t.Fatal(err)
		}
		warning, err := os.ReadFile(filepath.Join(dir, unsignedNote))
		signed := strings.HasSuffix(string(note), "(signed)")
		switch {
		case signed && err == nil:
			t.Errorf("the signed reply was saved with a warning: %s", warning)
		case !signed && err != nil:
			t.Errorf("%q was saved without a warning: %v", note, err)
		case !signed:
			warned++
			if !strings.Contains(string(warning), "is NOT signed by the officers") || strings.Contains(string(warning), "Main Street") {
				t.Errorf("the warning file: %s", warning)
			}
		}
	}
	if warned != len(cases)-1 {
		t.Errorf("%d warning files, want %d", warned, len(cases)-1)
	}

	// A signature entry twice, or an oversized one: not a bundle
	// (crypto/bundle refuses it), so shown as a plain message, which is
	// never signed. A reply signed by the officers for another submission,
	// planted here: not shown.
	mj := replyManifest(t, keys, "Meet at 5 Main Street (twice)")
	sig, _ := officers(mj)
	twice := encryptTar(t, keys, []tarFile{{"note.txt", []byte("Meet at 5 Main Street (twice)")}, {"manifest.json", mj}, {"manifest.json.minisig", sig}, {"manifest.json.minisig", sig}})
	mj = replyManifest(t, keys, "Meet at 5 Main Street (oversized)")
	sig, _ = officers(mj)
	oversized := encryptTar(t, keys, []tarFile{{"note.txt", []byte("Meet at 5 Main Street (oversized)")}, {"manifest.json", mj}, {"manifest.json.minisig", append(sig, bytes.Repeat([]byte{'\n'}, bundle.MaxSignatureSize)...)}})
	var other [16]byte
	rand.Read(other[:])
	toOther := replyBundle(t, keys, bundle.Contents{SubmissionID: hex.EncodeToString(other[:]), Note: []byte("Meet at 5 Main Street (other submission)"), Sign: officers})
	// The officers' signed manifest.json and signature (whoever made the
	// phrase can read them) with another message in place of the one
	// they list: refused whole (the hash), nothing shown. With an entry
	// after the signature, or the signature before the manifest: not
	// bundles, shown as plain messages, not signed.
	mj = replyManifest(t, keys, "Accepted; come to the interview (signed)")
	sig, _ = officers(mj)
	swapped := encryptTar(t, keys, []tarFile{{"note.txt", []byte("Meet at 5 Main Street, Tuesday (swapped)")}, {"manifest.json", mj}, {"manifest.json.minisig", sig}})
	after := encryptTar(t, keys, []tarFile{{"note.txt", []byte("Accepted; come to the interview (signed)")}, {"manifest.json", mj}, {"manifest.json.minisig", sig}, {"files/map.txt", []byte("Meet at 5 Main Street (after)")}})
	before := encryptTar(t, keys, []tarFile{{"note.txt", []byte("Accepted; come to the interview (signed)")}, {"manifest.json.minisig", sig}, {"manifest.json", mj}})
	// The officers' signed reply to another submission, sealed to that
	// submission's reply key, listed here by the server: this phrase
	// cannot open it.
	_, keysA := replyKeys(t)
	forA := replyBundle(t, keysA, bundle.Contents{Note: []byte("Meet at 5 Main Street (for A)"), Sign: signer(srv.Keys.AckPriv)})
	pushReplies(t, srv, sub, twice, oversized, toOther, swapped, after, before, forA)
	r := u.run(phrase+"\n", "replies", "-o", out)
	if r.code != 1 || !strings.Contains(r.stderr, "3 replies of 14 not shown or not saved") || !strings.Contains(r.stderr, "is not an officers' reply to this submission; it was discarded") ||
		!strings.Contains(r.stderr, "could not be opened: bundle entries do not match its manifest: entry 0 does not match its SHA-256 in manifest.json") ||
		!strings.Contains(r.stderr, "could not be opened: bundle is not encrypted to this key, or its header is damaged") {
		t.Fatalf("hostile bundles: exit %d, want 1 and 3 not shown\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if strings.Count(r.stdout, "), "+notSigned) != 4 || strings.Contains(r.stdout, signedHeader) || strings.Contains(r.stdout, "other submission") || strings.Contains(r.stdout, "(swapped)") || strings.Contains(r.stdout, "(for A)") {
		t.Errorf("hostile bundles shown:\n%s", r.stdout)
	}
	if strings.Count(r.stderr, "is NOT signed by the officers (it is a plain message, which carries no signature)") != 4 {
		t.Errorf("hostile bundles: stderr\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "Main Street") {
		t.Errorf("stderr quotes a reply:\n%s", r.stderr)
	}
}

// TestRepliesUnchecked: without a root key on this device, the replies are
// shown, each marked NOT CHECKED, with a warning that who wrote them could
// not be checked and a hint naming --root-pub; with --root-pub, the same
// replies are checked. A --root-pub that did not sign the served manifest
// leaves them unchecked, and says the manifest was refused.
func TestRepliesUnchecked(t *testing.T) {
	t.Parallel()
	srv, _, phrase := submitted(t, "report.pdf", 4<<10)
	keys := derive(t, phrase)
	pushReplies(t, srv, keys.SubmissionID(), replyBundle(t, keys, bundle.Contents{Note: []byte("Interview on Tuesday"), Sign: signer(srv.Keys.AckPriv)}))

	elsewhere := newUser(t) // another device: no profile
	r := elsewhere.ok(phrase+"\n", "replies", "--server", srv.URL)
	if !strings.Contains(r.stdout, "NOT CHECKED: may not be from the officers ---\n| Interview on Tuesday\n") {
		t.Errorf("without a root key, stdout:\n%s", r.stdout)
	}
	for _, want := range []string{
		"warning: who wrote these replies cannot be checked: no root key is known on this device",
		"hint: give the officers' root public key, from the organisation that referred you or another trusted source, with --root-pub KEY",
		"warning: reply 1 of 1 could not be checked (no root key is known on this device): it may not come from them",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("without a root key, stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	r = elsewhere.ok(phrase+"\n", "replies", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String())
	if !strings.Contains(r.stdout, "signed by the officers on ") || strings.Contains(r.stderr, "warning") {
		t.Errorf("with --root-pub:\nstdout %s\nstderr %s", r.stdout, r.stderr)
	}
	otherRoot, _, _ := minisign.GenerateKey(rand.Reader)
	r = newUser(t).ok(phrase+"\n", "replies", "--server", srv.URL, "--root-pub", otherRoot.String())
	if !strings.Contains(r.stdout, "NOT CHECKED") || !strings.Contains(r.stderr, "who wrote these replies cannot be checked: the officers' key manifest on the server was refused") {
		t.Errorf("with another root key:\nstdout %s\nstderr %s", r.stdout, r.stderr)
	}
}

// derive derives the keys of phrase as the refuge subprocesses do.
func derive(t *testing.T, phrase string) *receipt.Keys {
	t.Helper()
	kdfcost.LowerForTests()
	p, err := receipt.Parse([]byte(phrase))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := receipt.Derive(p)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// replyManifest returns the manifest.json of a reply bundle holding only
// note, as bundle.Seal writes it today.
func replyManifest(t *testing.T, keys *receipt.Keys, note string) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte(note))
	m := bundle.Manifest{Format: bundle.ManifestFormat, Kind: bundle.KindReply, Created: time.Now().UTC().Format("2006-01-02"),
		SubmissionID: keys.SubmissionID(), Entries: []bundle.Entry{{Name: "note.txt", Size: int64(len(note)), SHA256: hex.EncodeToString(sum[:])}}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type tarFile struct {
	name string
	data []byte
}

// encryptTar writes files as a tar stream and encrypts it to keys' reply
// recipient: a bundle built by hand, for shapes Seal never writes.
func encryptTar(t *testing.T, keys *receipt.Keys, files []tarFile) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := age.Encrypt(&b, keys.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(w)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Size: int64(len(f.data)), Mode: 0o600}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRepliesForgedHeader: whoever can place a reply (a seized server, a
// leaked courier token) writes one, unsigned, whose message holds a line
// that looks like refuge replies' own header, "--- reply 1 of 2 (DAY),
// signed by the officers on DAY ---", followed by the planted words: on a
// line of its own, after blank lines that push the real header off the
// screen, after a form feed, a vertical tab, a line separator or a
// next-line character, and at the end of a long line (ASCII, wide
// characters, tabs, a letter with 300 combining marks) so that a terminal 80 columns wide would wrap it to the
// start of a row; and one whose message is cut where refuge replies
// stops showing it. Through a real refuge-server, beside a reply the
// officers signed: every line of standard output is the real header or
// end line of a reply (one each per reply), the line that says a message
// continues (just before its end line), or begins with the "| " that
// marks a message's lines, and no message line is wider than 80 columns
// (standard output is not a terminal here), so none can stand where a
// header does.
func TestRepliesForgedHeader(t *testing.T) {
	t.Parallel()
	srv, _ := signedReplyServer(t)
	u, phrase := submittedTo(t, srv, "report.pdf", 4<<10)
	keys := derive(t, phrase)
	day := time.Now().UTC().Format("2006-01-02")
	fake := "--- reply 2 of 3 (" + day + "), signed by the officers on " + day + " ---"
	forged := "Please read on.\n" + fake + "\nCome alone to 5 Main Street on Tuesday.\n" +
		strings.Repeat("\n", 200) + fake + "\nCome alone.\n" +
		"\f" + fake + "\n\v" + fake + "\n\u2028" + fake + "\n\u0085" + fake + "\n" +
		strings.Repeat("x", 78) + fake + "\n" +
		strings.Repeat("x", 80) + fake + "\n" +
		strings.Repeat("中", 39) + fake + "\n" +
		"\t\t\t\t\t\t\t\t\t\t" + fake + "\n" +
		"x" + strings.Repeat("\u0301", 300) + fake + "\n"
	plain := plainReplyBody(t, keys, forged)
	pushReplies(t, srv, keys.SubmissionID(),
		replyBundle(t, keys, bundle.Contents{Note: []byte("Accepted; come to the interview."), Sign: signer(srv.Keys.AckPriv)}),
		replyBundle(t, keys, bundle.Contents{Note: []byte(forged)}),
		plain,
		replyBundle(t, keys, bundle.Contents{Note: []byte(fake + "\n" + strings.Repeat("y", bundle.MaxNoteShown))}))

	for _, args := range [][]string{{"replies"}, {"replies", "-o", filepath.Join(t.TempDir(), "replies")}} {
		r := u.ok(phrase+"\n", args...)
		headers, ends, signed, continues := 0, 0, 0, 0
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		for i, line := range lines {
			cols := 0
			for _, c := range line {
				switch {
				case c == '\t':
					cols += 8
				case unicode.Is(unicode.Mn, c): // drawn on the character before
				case c >= 0x1100:
					cols += 2
				default:
					cols++
				}
			}
			switch {
			case strings.HasPrefix(line, "| "):
				if cols > 80 {
					t.Errorf("%v: a message line %d columns wide: %q", args, cols, line)
				}
			case strings.HasPrefix(line, "--- reply "):
				headers++
				if strings.Contains(line, "signed by the officers on ") {
					signed++
				}
			case strings.HasPrefix(line, "--- end of reply "):
				ends++
			case line == "[the message continues; save it with -o DIR]" && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "--- end of reply "):
				continues++
			default:
				t.Errorf("%v: a line neither a header nor marked as a message's: %q", args, line)
			}
		}
		if headers != 4 || ends != 4 || signed != 1 || continues != 1 {
			t.Errorf("%v: %d headers, %d end lines, %d signed, %d cut; want 4, 4, 1, 1:\n%s", args, headers, ends, signed, continues, r.stdout)
		}
		if !strings.Contains(r.stdout, "| Accepted; come to the interview.\n") || !strings.Contains(r.stdout, "| Come alone to 5 Main Street on Tuesday.\n") {
			t.Errorf("%v: the messages are not shown:\n%s", args, r.stdout)
		}
	}
}

// TestRepliesServedManifestHostile: a seized or broken server cannot hide
// the officers' replies, nor pass a reply off as theirs, through the key
// manifest it serves. A seized server, holding the acknowledgement key of
// key manifest version 1 (which version 2 replaced), plants a reply signed
// with it and serves, in place of version 2, a manifest whose
// acknowledgement key is that one or none: version 1 itself (a rollback),
// a newer version that has expired, one signed by another root key, a
// newer one whose signature is the root key's over other bytes (forged),
// one that is not JSON (signed by the root key), one whose signature is
// not a signature, version 2 with a signature too large for the client
// (5 KiB), and a newer one naming no acknowledgement key. In front of the
// real server serving version 2 again, it answers the manifest's requests
// itself: a manifest over 64 KiB, 404 for the manifest or for its
// signature, 500, a cut connection, and no answer until the client's
// bound on each answer. On the device that submitted (and so saw version
// 2), every run exits 0 and shows and saves (-o) both replies, the
// officers' own included, NOT CHECKED (a warning file beside each), with
// the reason on one line of stderr, and none as signed; the highest
// version recorded as seen stays 2 until the root-signed version 9. On a
// device that never saw a manifest, version 1 is taken (nothing there
// says a newer one exists) and its key's reply shows as signed until
// version 1 expires: the limit SECURITY.md states.
func TestRepliesServedManifestHostile(t *testing.T) {
	t.Parallel()
	srv, stale := signedReplyServer(t)
	m2, sig2, _, err := srv.Store.Manifest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	u, phrase := submittedTo(t, srv, "report.pdf", 4<<10)
	keys := derive(t, phrase)
	pushReplies(t, srv, keys.SubmissionID(),
		replyBundle(t, keys, bundle.Contents{Note: []byte("Accepted (officers)"), Sign: signer(srv.Keys.AckPriv)}),
		replyBundle(t, keys, bundle.Contents{Note: []byte("Come to 5 Main Street (stale key)"), Sign: signer(stale)}))
	proxy, serve := manifestProxy(t, srv.URL)
	root, err := signing.ParsePublicKey(srv.Keys.RootPub.String())
	if err != nil {
		t.Fatal(err)
	}

	old := *srv.Keys
	old.AckPub = stale.Public().(minisign.PublicKey)
	other := old
	if other.RootPub, other.RootPriv, err = minisign.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	noAck, err := json.Marshal(map[string]any{"format": "refuge-manifest-v1", "version": 9, "expires": "2099-12-31",
		"recipients": []string{old.Recipient.String()}, "partners": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := old.Manifest(t, 50, "2099-12-31")
	notJSON := []byte("<html>This server has been seized.</html>")
	type served struct{ m, sig []byte }
	pair := func(m, sig []byte) *served { return &served{m, sig} }
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
	}
	const cantFetch = "the officers' key manifest could not be fetched from the server ("
	cases := []struct {
		name   string
		served *served // put in the server's store; or
		path   string  // in front of the server serving version 2, h answers the request for path
		h      http.HandlerFunc
		slow   bool // with a bound of 1s on each answer
		why    string
		seen   uint64 // the highest version recorded as seen after the run
		valid  bool   // a device that never saw version 2 takes it
	}{
		{name: "rolled back", served: pair(old.Manifest(t, 1, "2099-12-31")), why: "the officers' key manifest on the server was refused (key manifest is older than one already seen (rollback): version 1 is lower than version 2 seen before)", seen: 2, valid: true},
		{name: "expired", served: pair(old.Manifest(t, 7, "2020-01-01")), why: "the officers' key manifest on the server has expired", seen: 2},
		{name: "another root", served: pair(other.Manifest(t, 8, "2099-12-31")), why: "the officers' key manifest on the server was refused (manifest was signed by a different key than the pinned root key", seen: 2},
		{name: "forged", served: &served{forged, minisign.Sign(old.RootPriv, m2)}, why: "the officers' key manifest on the server was refused (manifest signature is not valid for the pinned root key)", seen: 2},
		{name: "not JSON", served: &served{notJSON, minisign.Sign(old.RootPriv, notJSON)}, why: "the officers' key manifest on the server was refused (malformed key manifest: ", seen: 2},
		{name: "signature not a signature", served: &served{forged, []byte("not a signature")}, why: "the officers' key manifest on the server was refused (manifest signature is not valid for the pinned root key: ", seen: 2},
		{name: "signature too large", served: &served{m2, append(bytes.Repeat([]byte{' '}, 5<<10), sig2...)}, why: cantFetch + "fetching the signature of the officers' keys: the server's answer is larger than allowed)", seen: 2},
		{name: "manifest too large", path: api.PathManifest, h: func(w http.ResponseWriter, r *http.Request) {
			w.Write(append(bytes.Clone(m2), bytes.Repeat([]byte{' '}, 64<<10)...))
		}, why: cantFetch + "fetching the officers' keys (the key manifest): the server's answer is larger than allowed)", seen: 2},
		{name: "no manifest", path: api.PathManifest, h: status(http.StatusNotFound), why: "the server has no signed key manifest (fetching the officers' keys (the key manifest): ", seen: 2},
		{name: "no signature", path: api.PathManifestSig, h: status(http.StatusNotFound), why: "the server has no signed key manifest (fetching the signature of the officers' keys: ", seen: 2},
		{name: "server error", path: api.PathManifest, h: status(http.StatusInternalServerError), why: cantFetch + "fetching the officers' keys (the key manifest): the server answered 500 Internal Server Error (internal))", seen: 2},
		{name: "connection cut", path: api.PathManifestSig, h: func(w http.ResponseWriter, r *http.Request) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}, why: cantFetch + "fetching the signature of the officers' keys: network: connection cut)", seen: 2},
		{name: "no answer", slow: true, path: api.PathManifest, h: func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush() // the headers, then nothing until the client gives up
			<-r.Context().Done()
		}, why: cantFetch + "fetching the officers' keys (the key manifest): network: the server's answer did not end within 1s)", seen: 2},
		{name: "no ack key", served: &served{noAck, minisign.Sign(old.RootPriv, noAck)}, why: "the key manifest (version 9) names no acknowledgement key", seen: 9, valid: true},
	}
	storeVersion := uint64(3)
	put := func(m, sig []byte) {
		t.Helper()
		if err := srv.Store.PutManifest(t.Context(), m, sig, storeVersion); err != nil {
			t.Fatal(err)
		}
		storeVersion++
	}
	for _, c := range cases {
		args := []string{"replies", "-o", filepath.Join(t.TempDir(), "replies"), "--server", srv.URL}
		dev := u
		if c.served != nil {
			put(c.served.m, c.served.sig)
		} else {
			put(m2, sig2) // what the server would serve
			serve(c.path, c.h)
			args[len(args)-1] = proxy
		}
		if c.slow {
			dev = &user{t: t, state: u.state, env: []string{answerTimeoutEnv + "=1s"}}
		}
		r := dev.run(phrase+"\n", args...)
		if r.code != 0 {
			t.Errorf("%s: exit %d, want 0\nstderr %s", c.name, r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "signed by the officers on") || strings.Count(r.stdout, "), NOT CHECKED: may not be from the officers ---") != 2 ||
			!strings.Contains(r.stdout, "| Accepted (officers)\n") || !strings.Contains(r.stdout, "| Come to 5 Main Street (stale key)\n") {
			t.Errorf("%s: shown\n%s", c.name, r.stdout)
		}
		if !strings.Contains(r.stderr, "refuge: warning: who wrote these replies cannot be checked: "+c.why) ||
			strings.Count(r.stderr, "could not be checked ("+strings.SplitN(c.why, " (", 2)[0]) != 2 ||
			!strings.Contains(r.stderr, "2 replies of 2 shown may not come from the officers") {
			t.Errorf("%s: stderr lacks %q:\n%s", c.name, c.why, r.stderr)
		}
		saved, _ := filepath.Glob(filepath.Join(args[2], "reply-*", unsignedNote))
		if len(saved) != 2 {
			t.Errorf("%s: %d replies saved with a warning, want 2", c.name, len(saved))
		}
		for _, name := range saved {
			if b, _ := os.ReadFile(name); !strings.Contains(string(b), "could not be checked on this device") {
				t.Errorf("%s: the warning file: %s", c.name, b)
			}
		}
		seen, err := manifest.OpenSeenStore(u.state)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := seen.Highest(root); err != nil || v != c.seen {
			t.Errorf("%s: the highest version seen is %d (%v), want %d", c.name, v, err, c.seen)
		}
		// refuge submit, on a new device, still encrypts to nothing
		// unverified (invariant 2).
		if !c.valid {
			fresh := newUser(t)
			fresh.env = dev.env
			sub := fresh.run("", "submit", "--server", args[len(args)-1], "--root-pub", srv.Keys.RootPub.String(), randomFile(t, t.TempDir(), "a.txt", 100))
			if subs, _ := srv.Store.Submissions(t.Context()); sub.code == 0 || sub.stdout != "" || len(subs) != 1 {
				t.Errorf("%s: refuge submit exit %d, %d submissions stored\nstdout %s\nstderr %s", c.name, sub.code, len(subs), sub.stdout, sub.stderr)
			}
		}
		serve("", nil)
	}

	// A device that never saw a manifest: version 1 is all it knows of.
	m1, sig1 := old.Manifest(t, 1, "2099-12-31")
	put(m1, sig1)
	r := newUser(t).ok(phrase+"\n", "replies", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String())
	if shown := shownReplies(t, r.stdout); !strings.Contains(shown["Come to 5 Main Street (stale key)"], "signed by the officers on") {
		t.Errorf("a new device: the limit SECURITY.md states has changed; update it:\n%s", r.stdout)
	}
}

// manifestProxy starts a server in front of the refuge-server at target,
// as a seized or broken one may answer: it passes every request on to
// target, except those for path once serve(path, h) has been called,
// which h answers. serve("", nil) passes everything on again.
func manifestProxy(t *testing.T, target string) (url string, serve func(path string, h http.HandlerFunc)) {
	t.Helper()
	u, err := neturl.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	pass := httputil.NewSingleHostReverseProxy(u)
	type route struct {
		path string
		h    http.HandlerFunc
	}
	var cur atomic.Pointer[route]
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt := cur.Load(); rt != nil && r.URL.Path == rt.path {
			rt.h(w, r)
			return
		}
		pass.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p.URL, func(path string, h http.HandlerFunc) {
		if h == nil {
			cur.Store(nil)
			return
		}
		cur.Store(&route{path, h})
	}
}
