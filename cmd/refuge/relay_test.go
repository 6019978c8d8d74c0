package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/client"
	"refuge/client/clienttest"
	"refuge/crypto/bundle"
	"refuge/crypto/receipt"
	"refuge/internal/kdfcost"
	"refuge/server/api"
)

// offlineBundle seals a bundle as refuge seal would, with its ticket, and
// returns its path and phrase.
func offlineBundle(t *testing.T, srv *clienttest.Server, dir string) (string, string, *receipt.Keys) {
	t.Helper()
	kdfcost.LowerForTests() // as the refuge subprocesses do
	phrase, err := receipt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := receipt.Derive(phrase)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := phrase.Text()
	words := string(text.Bytes())
	text.Destroy()
	tok, _ := keys.Token()
	v := receipt.Verifier(tok.Bytes())
	tok.Destroy()
	path := filepath.Join(dir, "bundle.age")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	data := randomFile(t, t.TempDir(), "doc.pdf", 50<<10)
	files, _ := bundle.CollectFiles([]string{data})
	if _, err := bundle.Seal(f, []age.Recipient{srv.Keys.Recipient}, bundle.Contents{
		Files: files, SubmissionID: keys.SubmissionID(), ReplyRecipient: keys.Recipient().String(), Kind: bundle.KindAnonymous,
	}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := client.WriteTicket(path, keys.SubmissionID(), v); err != nil {
		t.Fatal(err)
	}
	return path, words, keys
}

func TestRelay(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	dir := t.TempDir()
	b, phrase, keys := offlineBundle(t, srv, dir)
	partner := newUser(t)
	tests := []struct {
		desc  string
		setup func() []string
		code  int
		want  string
	}{
		{"no token", func() []string { return []string{"relay", "--server", srv.URL, b} }, 2, "no token"},
		{"plaintext refused", func() []string {
			p := randomFile(t, dir, "plain.pdf", 100)
			return []string{"relay", "--server", srv.URL, "--token", srv.Partner, p}
		}, 1, "not a sealed bundle"},
		{"no ticket", func() []string {
			p := filepath.Join(dir, "copy.age")
			data, _ := os.ReadFile(b)
			os.WriteFile(p, data, 0o600)
			return []string{"relay", "--server", srv.URL, "--token", srv.Partner, p}
		}, 1, "no ticket"},
		{"courier token refused", func() []string { return []string{"relay", "--server", srv.URL, "--token", srv.Courier, b} }, 1, "partner tokens refer and relay"},
		{"wrong token", func() []string { return []string{"relay", "--server", srv.URL, "--token", strings.Repeat("cd", 32), b} }, 1, "hint: check the token"},
		{"https where nothing speaks it", func() []string {
			return []string{"relay", "--server", "https://" + srv.Addr, "--token", srv.Partner, b}
		}, 1, "does not speak HTTPS"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := partner.run("", tt.setup()...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", r.code, tt.code, tt.want, r.stderr)
			}
		})
	}
	if subs, _ := srv.Store.Submissions(context.Background()); len(subs) != 0 {
		t.Fatal("a refused relay stored something")
	}
	// Until a partner relays it, the defender's phrase finds nothing, and
	// is told why that may be.
	defender := newUser(t)
	if st := defender.run(phrase+"\n", "status", "--server", srv.URL); st.code != 1 ||
		!strings.Contains(st.stderr, "refuge: error: no submission matches this receipt phrase on this server\n") ||
		!strings.Contains(st.stderr, "nor a bundle sealed offline (refuge seal) until a partner relays it\n") {
		t.Fatalf("status before the relay: exit %d\n%s", st.code, st.stderr)
	}
	partner.env = []string{"REFUGE_TOKEN=" + srv.Partner}
	// The refused tries created no upload: nothing to resume.
	if r := partner.ok("", "relay", "--server", srv.URL, b); strings.Contains(r.stderr, "resuming") {
		t.Fatalf("the first relay that reached the server said it resumed:\n%s", r.stderr)
	}
	// The batch run again: the bundle is skipped, not refused, and leaves
	// no state behind.
	r := partner.ok("", "relay", "--server", srv.URL, b)
	if !strings.Contains(r.stderr, "skipped "+b+": the server already has submission "+keys.SubmissionID()) || strings.Contains(r.stderr, "--restart") {
		t.Fatalf("relaying again:\n%s", r.stderr)
	}
	pendingEmpty(t, partner)
	sub, err := srv.Store.Submission(context.Background(), keys.SubmissionID())
	if err != nil || sub.Kind != "relay" || sub.Partner != "fld" {
		t.Fatalf("relayed submission: %+v %v", sub, err)
	}
	if st := defender.ok(phrase+"\n", "status", "--server", srv.URL); !strings.Contains(st.stdout, "received") {
		t.Fatalf("the defender's phrase does not find the relayed bundle: %s", st.stdout)
	}
}

// TestRepliesAndAcks: the courier pushes an officer's reply and a signed
// acknowledgement; the defender reads the reply with the phrase only; the
// server deleted the ciphertext.
func TestRepliesAndAcks(t *testing.T) {
	t.Parallel()
	srv, u, phrase := submitted(t, "a.pdf", 20<<10)
	if r := u.ok(phrase+"\n", "replies"); !strings.Contains(r.stderr, "no reply yet") {
		t.Fatalf("replies before any: %s", r.stderr)
	}
	kdfcost.LowerForTests() // as the refuge subprocesses do
	p, err := receipt.Parse([]byte(phrase))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := receipt.Derive(p)
	id := keys.SubmissionID()
	sub, err := srv.Store.Submission(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}

	// The officers' outbox: a reply (a bundle to the reply recipient)
	// and an acknowledgement signed with the ack key.
	outbox := t.TempDir()
	os.MkdirAll(filepath.Join(outbox, "replies", id), 0o700)
	rf, _ := os.Create(filepath.Join(outbox, "replies", id, "reply-1.age"))
	att := randomFile(t, t.TempDir(), "form.pdf", 5000)
	files, _ := bundle.CollectFiles([]string{att})
	if _, err := bundle.Seal(rf, []age.Recipient{keys.Recipient()}, bundle.Contents{
		Files: files, Note: []byte("received; we need your passport scan"), SubmissionID: id, Kind: bundle.KindReply,
	}); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	os.MkdirAll(filepath.Join(outbox, "acks"), 0o700)
	stmt, _ := json.Marshal(api.AckStatement{SubmissionID: id, SHA256: hex.EncodeToString(sub.SHA256[:]), Imported: true})
	os.WriteFile(filepath.Join(outbox, "acks", id+".json"), stmt, 0o600)
	os.WriteFile(filepath.Join(outbox, "acks", id+".json.minisig"), minisign.Sign(srv.Keys.AckPriv, stmt), 0o600)

	// A forged acknowledgement, first in the outbox's order: it is refused
	// and left in place, and the push goes on with the rest.
	forged := filepath.Join(outbox, "acks", strings.Repeat("0", 32)+".json")
	os.WriteFile(forged, stmt, 0o600)
	os.WriteFile(forged+".minisig", []byte("untrusted comment: not a signature\nRWQ=\n"), 0o600)

	courier := newUser(t)
	r := courier.run("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, outbox)
	if r.code != 1 || !strings.Contains(r.stderr, "pushed 1 reply and 1 acknowledgement") || !strings.Contains(r.stderr, "refused 1 file") {
		t.Fatalf("push with one forged acknowledgement: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(forged); err != nil {
		t.Fatal("the refused acknowledgement was not left in place")
	}
	os.Remove(forged)
	os.Remove(forged + ".minisig")
	if left, _ := filepath.Glob(filepath.Join(outbox, "replies", id, "*.age")); len(left) != 0 {
		t.Fatal("pushed reply not moved to sent/")
	}
	// A second push sends nothing again.
	if r := courier.ok("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, outbox); !strings.Contains(r.stderr, "pushed 0 replies and 0 acknowledgements") {
		t.Fatalf("second push: %s", r.stderr)
	}
	if st := u.ok(phrase+"\n", "status"); !strings.Contains(st.stdout, "deleted") || !strings.Contains(st.stdout, "replies: 1") {
		t.Fatalf("status after ack: %s", st.stdout)
	}
	if _, err := srv.Store.OpenCiphertext(context.Background(), id); err == nil {
		t.Fatal("the acknowledged ciphertext is still on the server")
	}
	r = u.ok(phrase+"\n", "replies")
	if !strings.Contains(r.stdout, "received; we need your passport scan") || !strings.Contains(r.stderr, "1 file attached") {
		t.Fatalf("replies:\n%s\n%s", r.stdout, r.stderr)
	}
	// -o makes its folder (private), as courier pull does, and saves
	// where replies --help says.
	saved := filepath.Join(t.TempDir(), "new", "replies")
	if r := u.ok(phrase+"\n", "replies", "-o", saved); !strings.Contains(r.stdout, "received; we need your passport scan") {
		t.Fatalf("replies -o does not print the message, as replies --help says:\n%s", r.stdout)
	}
	if fi, err := os.Stat(saved); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("-o folder: %v %v", fi, err)
	}
	got, _ := filepath.Glob(filepath.Join(saved, "reply-*", id, "files", "form.pdf"))
	if len(got) != 1 || fileHash(t, got[0]) != fileHash(t, att) {
		t.Fatalf("saved reply attachment: %v", got)
	}
	if notes, _ := filepath.Glob(filepath.Join(saved, "reply-*", id, "note.txt")); len(notes) != 1 {
		t.Fatalf("saved reply message: %v", notes)
	}
	if h := u.ok("", "replies", "--help"); !strings.Contains(h.stdout, "DIR/reply-<id>/<submission id>/ (message in\nnote.txt") ||
		!strings.Contains(h.stdout, "Each reply's message is printed on standard output, with every character a\nterminal would act on rather than show") || !strings.Contains(h.stdout, "exactly as it came") {
		t.Fatalf("replies --help does not say where replies are saved:\n%s", h.stdout)
	}
	if r := u.ok(phrase+"\n", "replies", "-o", saved); !strings.Contains(r.stderr, "already saved") {
		t.Fatalf("third replies: %s", r.stderr)
	}
}

// TestRelayBatchGoesOnAfterRefusal: a batch of bundles in which the
// server refuses one (here a classic age file that is no bundle for the
// officers' keys). The refusal names that bundle and does not stop the
// others; the batch exits 1 at the end saying which bundle is left. Run
// again, the bundles relayed are skipped and the refused one is refused
// again.
func TestRelayBatchGoesOnAfterRefusal(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	first, _, firstKeys := offlineBundle(t, srv, t.TempDir())
	last, lastPhrase, lastKeys := offlineBundle(t, srv, t.TempDir())

	// The refused one: an age file to a classic X25519 key, with a ticket.
	bad := filepath.Join(t.TempDir(), "stale.age")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(bad)
	if err != nil {
		t.Fatal(err)
	}
	w, err := age.Encrypt(f, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("not for the officers"))
	w.Close()
	f.Close()
	var v [32]byte
	if err := client.WriteTicket(bad, strings.Repeat("ab", 16), v); err != nil {
		t.Fatal(err)
	}

	partner := newUser(t)
	partner.env = []string{"REFUGE_TOKEN=" + srv.Partner}
	args := []string{"relay", "--server", srv.URL, first, bad, last}
	r := partner.run("", args...)
	if r.code != 1 || !strings.Contains(r.stderr, "refused "+bad+": ") ||
		!strings.Contains(r.stderr, "relayed "+last) || !strings.Contains(r.stderr, "not relayed: "+bad) {
		t.Fatalf("batch with a refused bundle: exit %d\n%s", r.code, r.stderr)
	}
	for _, k := range []string{firstKeys.SubmissionID(), lastKeys.SubmissionID()} {
		if _, err := srv.Store.Submission(context.Background(), k); err != nil {
			t.Fatalf("submission %s not relayed: %v", k, err)
		}
	}
	if st := newUser(t).ok(lastPhrase+"\n", "status", "--server", srv.URL); !strings.Contains(st.stdout, "received") {
		t.Fatalf("the bundle after the refused one: %s", st.stdout)
	}

	r = partner.run("", args...)
	if r.code != 1 || !strings.Contains(r.stderr, "skipped "+first) || !strings.Contains(r.stderr, "skipped "+last) ||
		!strings.Contains(r.stderr, "refused "+bad+": ") {
		t.Fatalf("the batch run again: exit %d\n%s", r.code, r.stderr)
	}
	pendingEmpty(t, partner)
}
