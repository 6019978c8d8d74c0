package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"refuge/crypto/bundle"
	"refuge/internal/kdfcost"
)

// TestOpenHostileFileName: a bundle's own file name comes from whoever
// named it (a courier's stick, an inbox shared with others), not from the
// officer. Named with escape sequences (clear the screen, set the window
// title, a C1 CSI) and a bidi override, it was printed raw in open's
// summary, and again when skipped as already opened; now every character
// a terminal acts on is shown as U+FFFD, there and in the messages.
func TestOpenHostileFileName(t *testing.T) {
	kdfcost.LowerForTests()
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple officer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "officer.key")
	var out, errb bytes.Buffer
	if rc := run([]string{"keygen", "-o", key, "--passphrase-file", pass}, strings.NewReader(""), &out, &errb); rc != 0 {
		t.Fatalf("keygen: %d %s", rc, errb.String())
	}
	r, err := age.ParseHybridRecipient(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	var sealed bytes.Buffer
	if _, err := bundle.Seal(&sealed, []age.Recipient{r}, bundle.Contents{
		Note: []byte("hello"), SubmissionID: hex.EncodeToString(id), Kind: bundle.KindAnonymous,
	}); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "evil\x1b]0;pwned\x07\x1b[2J\u009b31m\u202etxt.age")
	if err := os.WriteFile(name, sealed.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox")
	for _, what := range []string{"opened", "skipped as already opened"} {
		out.Reset()
		errb.Reset()
		if rc := run([]string{"open", "-i", key, "--passphrase-file", pass, "-o", inbox, name}, strings.NewReader(""), &out, &errb); rc != 0 {
			t.Fatalf("%s: open: %d\n%s", what, rc, errb.String())
		}
		for _, s := range []string{out.String(), errb.String()} {
			for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s: output holds %q:\n%q", what, bad, s)
				}
			}
		}
		if !strings.Contains(out.String(), "evil\uFFFD]0;pwned\uFFFD\uFFFD[2J\uFFFD31m\uFFFDtxt.age: ") {
			t.Errorf("%s: the name is not shown with U+FFFD:\n%q", what, out.String())
		}
	}
}
