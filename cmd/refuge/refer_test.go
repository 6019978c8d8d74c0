package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"refuge/client/clienttest"
	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
)

// TestRefer: a partner files a signed referral; the officer opens it, the
// signature verifies with the manifest's partner key, the form and the
// file come back as sent.
func TestRefer(t *testing.T) {
	t.Parallel()
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
	srv := clienttest.Setup(t, keys, m, sig, 1).Start(t)
	u := newUser(t)
	u.init(srv)
	u.env = []string{"REFUGE_TOKEN=" + srv.Partner}
	doc := randomFile(t, dir, "threats.pdf", 40<<10)
	form := filepath.Join(dir, "referral.json")
	os.WriteFile(form, []byte(`{"defender_name":"A. Defender","nationality":"X","current_country":"Y",
"work":"land rights","risk":"arrest warrant","urgency":"medium","consent":true,
"safe_contact":"signal","referring_organisation":"FLD"}`), 0o600)
	base := []string{"refer", "--partner", "fld", "--partner-key", keyFile, "--passphrase-file", passFile}

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
	if _, err := key.Public().Verify(res.ManifestJSON, res.Signature); err != nil {
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
