package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"refuge/client"
	"refuge/client/clienttest"
)

// TestReceiptOut: submit --receipt-out says where it wrote the phrase, as
// seal does; an existing file is refused by submit and refer as seal
// refuses it (exit 1, a hint), before anything is asked, sealed or sent.
func TestReceiptOut(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	u.init(srv)
	dir := t.TempDir()
	doc := randomFile(t, dir, "a.txt", 100)
	out := filepath.Join(dir, "receipt.txt")
	r := u.ok("", "submit", "--receipt-out", out, doc)
	if !strings.Contains(r.stderr, "wrote the receipt phrase to "+out+" (mode 0600)") {
		t.Fatalf("submit does not say where it wrote the phrase:\n%s", r.stderr)
	}
	if b, err := os.ReadFile(out); err != nil || strings.TrimSpace(string(b)) != phraseOf(t, r) {
		t.Fatalf("receipt file: %q %v", b, err)
	}
	before, _ := os.ReadFile(out)
	for _, args := range [][]string{
		{"submit", "--receipt-out", out, doc},
		{"refer", "--token", strings.Repeat("ab", 32), "--partner", "fld", "--partner-key", filepath.Join(dir, "no.key"), "--receipt-out", out, doc},
	} {
		r := u.run("", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "error: "+out+" already exists; refusing to overwrite it") ||
			!strings.Contains(r.stderr, "hint: choose another file for --receipt-out") || strings.Contains(r.stderr, "--help") {
			t.Fatalf("%s: exit %d, want 1 with the seal's message and hint:\n%s", args[0], r.code, r.stderr)
		}
		if after, _ := os.ReadFile(out); string(after) != string(before) {
			t.Fatalf("%s changed the receipt file", args[0])
		}
	}
	if subs, _ := srv.Store.Submissions(t.Context()); len(subs) != 1 {
		t.Fatalf("%d submissions on the server, want the first one only", len(subs))
	}
}

// TestReceiptOutNoFolder: a --receipt-out file whose folder does not
// exist, or is a file, is refused by submit, refer and seal before
// anything is asked, sealed or sent: exit 1, naming the folder, saying
// that nothing was sent, with a hint. Before, the run sealed and failed
// only when it came to write the phrase, naming a .refuge-partial- file of
// its own.
func TestReceiptOutNoFolder(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	u.init(srv)
	dir := t.TempDir()
	doc := randomFile(t, dir, "a.txt", 100)
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	m, sig, err := c.Manifest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mf := filepath.Join(dir, "manifest.json")
	os.WriteFile(mf, m, 0o600)
	os.WriteFile(mf+".minisig", sig, 0o600)
	sealed := filepath.Join(dir, "bundle.age")
	for _, tc := range []struct{ folder, why string }{
		{filepath.Join(dir, "cases", "17"), "the folder " + filepath.Join(dir, "cases", "17") + " does not exist"},
		{doc, doc + " is not a folder"},
	} {
		out := filepath.Join(tc.folder, "phrase.txt")
		for _, args := range [][]string{
			{"submit", "--receipt-out", out, doc},
			{"refer", "--token", strings.Repeat("ab", 32), "--partner", "fld", "--partner-key", filepath.Join(dir, "no.key"), "--receipt-out", out, doc},
			{"seal", "--manifest", mf, "--root-pub", srv.Keys.RootPub.String(), "-o", sealed, "--receipt-out", out, doc},
		} {
			r := u.run("", args...)
			want := "error: cannot write the receipt phrase to " + out + ": " + tc.why + "; nothing was sealed or sent"
			if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "hint: create the folder first, or choose another file for --receipt-out") ||
				strings.Contains(r.stderr, ".refuge-partial") || r.stdout != "" {
				t.Fatalf("%s: exit %d, want 1 with %q and a hint\nstdout: %s\nstderr: %s", args[0], r.code, want, r.stdout, r.stderr)
			}
		}
	}
	if n := srv.Requests()["POST"]; n != 0 {
		t.Fatalf("%d uploads began", n)
	}
	if left, _ := filepath.Glob(filepath.Join(u.state, "pending", "*")); len(left) != 0 {
		t.Fatalf("upload state kept: %v", left)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "bundle.age*")); len(left) != 0 {
		t.Fatalf("seal left %v", left)
	}
}

// TestNoteTooBig: the note's limit is said in MiB, as every other size.
func TestNoteTooBig(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	u.init(srv)
	note := randomFile(t, t.TempDir(), "note.txt", 1<<20+1)
	r := u.run("", "submit", "--note-file", note)
	if r.code != 1 || !strings.Contains(r.stderr, "error: note is larger than 1.0 MiB") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
}
