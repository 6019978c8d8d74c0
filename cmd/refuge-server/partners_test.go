package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"aead.dev/minisign"

	"refuge/client/clienttest"
	"refuge/server/store"
)

// partnerKey returns a fresh minisign public key ("RW…") for a manifest's
// partner.
func partnerKey(t *testing.T) string {
	t.Helper()
	pub, _, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub.String()
}

// serverCmd runs refuge-server with args as the operator would, and
// returns its stdout, stderr and exit code.
func serverCmd(args ...string) (string, string, int) {
	var out, errb strings.Builder
	rc := run(args, &out, &errb)
	return out.String(), errb.String(), rc
}

// publishManifest has keys sign a manifest of version listing partners
// and publishes it on data with refuge-server publish; it returns
// publish's stderr.
func publishManifest(t *testing.T, keys *clienttest.Keys, data string, version uint64, partners ...string) string {
	t.Helper()
	keys.Partners = map[string]string{}
	for _, p := range partners {
		keys.Partners[p] = partnerKey(t)
	}
	m, sig := keys.Manifest(t, version, "2099-12-31")
	dir := t.TempDir()
	mf, sf := filepath.Join(dir, "manifest.json"), filepath.Join(dir, "manifest.json.minisig")
	if err := os.WriteFile(mf, m, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf, sig, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, rc := serverCmd("publish", "--data", data, "--root-pub", keys.RootPub.String(), mf, sf)
	if rc != exitOK {
		t.Fatalf("publish version %d: %d %q", version, rc, errs)
	}
	return errs
}

// tokenNames returns the role:name of every token in data's store.
func tokenNames(t *testing.T, data string) string {
	t.Helper()
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	toks, err := st.Tokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tk := range toks {
		names = append(names, string(tk.Role)+":"+tk.Name)
	}
	return strings.Join(names, "|")
}

// TestPartnerTokenNames checks, on a stopped server's database, that a
// partner token must be named as the published key manifest names the
// partner: token add refuses another name (and says which names the
// manifest has, the one most likely meant and how to add it anyway),
// --unlisted adds it, token list marks it, and publish warns of a partner
// the new manifest drops while its token is active. Couriers are never
// checked.
func TestPartnerTokenNames(t *testing.T) {
	data := newDataDir(t)
	keys := clienttest.NewKeys(t)
	added := regexp.MustCompile(`^[0-9a-f]{64}\n$`)
	info := func(name string) string {
		return "refuge-server: this partner token for \"" + name + "\" is shown only once; the server keeps only its SHA-256\n"
	}

	// No manifest yet: added, with one line saying it was not checked.
	out, errs, rc := serverCmd("token", "add", "--partner", "early", "--data", data)
	if rc != exitOK || !added.MatchString(out) || errs != info("early")+
		"refuge-server: note: no key manifest is published yet, so the partner name was not checked against it; "+
		"name the token as the manifest will name the partner (token list marks one it does not)\n" {
		t.Fatalf("add before any manifest: %d %q %q", rc, out, errs)
	}

	// Publishing a manifest that does not list it says so.
	errs = publishManifest(t, keys, data, 1, "hrw", "fld")
	if !strings.Contains(errs, `refuge-server: note: the key manifest (version 1) does not list partner "early", whose token is active: right for a partner that only relays`) ||
		strings.Contains(errs, "warning") {
		t.Fatalf("publish over a token it does not list: %q", errs)
	}

	// A listed name: the token, and nothing more said.
	if out, errs, rc := serverCmd("token", "add", "--partner", "fld", "--data", data); rc != exitOK || !added.MatchString(out) || errs != info("fld") {
		t.Fatalf("add a listed partner: %d %q %q", rc, out, errs)
	}

	// A typo is refused, with the names the manifest has and the way out.
	before := tokenNames(t, data)
	out, errs, rc = serverCmd("token", "add", "--partner", "fdl", "--data", data)
	if want := `refuge-server: error: add token: the published key manifest (version 1) does not list partner "fdl" (it lists "fld", "hrw"); no token was added
refuge-server: hint: did you mean "fld"?
refuge-server: hint: name a partner's token as the key manifest names the partner: the officers' report compares the two and shows a notice for each referral where they differ
refuge-server: hint: to add it anyway, for a partner the officers' next manifest will list or one that only relays (it needs no key in the manifest), add --unlisted
`; rc != exitError || out != "" || errs != want {
		t.Fatalf("add an unlisted partner: exit %d, stdout %q, stderr:\n%s\nwant:\n%s", rc, out, errs, want)
	}

	// Hostile and near-miss names: refused by the manifest check or the
	// store's rule, never echoed raw to the terminal, nothing added.
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"FLD", []string{`does not list partner "FLD"`, `did you mean "fld"?`, `so none can list "FLD"`}},
		{"Front Line Office", []string{`does not list partner "Front Line Office"`, `so none can list "Front Line Office"`}},
		{"fld-", []string{`does not list partner "fld-"`, `did you mean "fld"?`}},
		{"fl\u0434", []string{`does not list partner "fl\u0434"`, `did you mean "fld"?`, "so none can list"}},
		{strings.Repeat("x", 64), []string{"does not list partner", "so none can list"}},
		{"fld\u202e", []string{"token name must be 1 to 64 printable characters"}},
		{"\x1b[31mfld", []string{"token name must be 1 to 64 printable characters"}},
		{"fld\n", []string{"token name must be 1 to 64 printable characters"}},
		{" fld", []string{"token name must be 1 to 64 printable characters"}},
		{strings.Repeat("x", 65), []string{"token name must be 1 to 64 printable characters"}},
		{"fld\xff", []string{"token name must be 1 to 64 printable characters"}},
	} {
		out, errs, rc := serverCmd("token", "add", "--partner", tc.name, "--data", data)
		if rc != exitError || out != "" {
			t.Errorf("add %q: exit %d, stdout %q", tc.name, rc, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("add %q: stderr lacks %q:\n%s", tc.name, w, errs)
			}
		}
		for _, r := range errs {
			if r != '\n' && (r == utf8.RuneError || !unicode.IsPrint(r)) {
				t.Errorf("add %q: stderr carries %q raw: %q", tc.name, r, errs)
			}
		}
	}
	if after := tokenNames(t, data); after != before {
		t.Fatalf("refused adds changed the tokens: %s, was %s", after, before)
	}

	// --unlisted adds it, and says so.
	out, errs, rc = serverCmd("token", "add", "--partner", "Front Line Office", "--unlisted", "--data", data)
	if rc != exitOK || !added.MatchString(out) || errs != info("Front Line Office")+
		"refuge-server: note: the published key manifest (version 1) does not list partner \"Front Line Office\"; added as asked (--unlisted)\n" {
		t.Fatalf("add --unlisted: %d %q %q", rc, out, errs)
	}
	// A courier's name is no partner's: never checked.
	if out, errs, rc := serverCmd("token", "add", "--courier", "Night Desk", "--data", data); rc != exitOK || !added.MatchString(out) ||
		errs != "refuge-server: this courier token for \"Night Desk\" is shown only once; the server keeps only its SHA-256\n" {
		t.Fatalf("add a courier: %d %q %q", rc, out, errs)
	}
	// --unlisted is for a partner token being added, nothing else.
	for _, args := range [][]string{
		{"token", "add", "--courier", "desk", "--unlisted", "--data", data},
		{"token", "revoke", "--partner", "fld", "--unlisted", "--data", data},
		{"token", "list", "--unlisted", "--data", data},
	} {
		if out, errs, rc := serverCmd(args...); rc != exitUsage || out != "" || errs != "refuge-server: error: --unlisted is only for token add --partner NAME\n" {
			t.Errorf("%q: %d %q %q", args, rc, out, errs)
		}
	}
	if after := tokenNames(t, data); strings.Contains(after, "desk") || !strings.Contains(after, "partner:fld") {
		t.Fatalf("tokens after --unlisted misused: %s", after)
	}

	// token list marks the partner tokens the manifest does not list.
	if _, errs, rc := serverCmd("token", "add", "--partner", "hrw", "--data", data); rc != exitOK {
		t.Fatalf("add hrw: %q", errs)
	}
	if _, errs, rc := serverCmd("token", "revoke", "--partner", "hrw", "--data", data); rc != exitOK {
		t.Fatalf("revoke hrw: %q", errs)
	}
	out, errs, rc = serverCmd("token", "list", "--data", data)
	for _, re := range []string{`(?m)^NAME\s+ROLE\s+CREATED\s+STATE\s+IN MANIFEST$`, `(?m)^early\s+partner\s+\S+\s+active\s+NO$`,
		`(?m)^fld\s+partner\s+\S+\s+active\s+yes$`, `(?m)^hrw\s+partner\s+\S+\s+revoked\s+yes$`,
		`(?m)^Front Line Office\s+partner\s+\S+\s+active\s+NO$`, `(?m)^Night Desk\s+courier\s+\S+\s+active\s+-$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("token list lacks %s:\n%s", re, out)
		}
	}
	if rc != exitOK || errs != `refuge-server: note: the key manifest (version 1) does not list partners "Front Line Office", "early", whose tokens are active: `+
		"right for a partner that only relays; a partner that refers must have its token named as the manifest names it, "+
		"or the officers' report shows a notice on each of its referrals\n" {
		t.Fatalf("token list: %d %q", rc, errs)
	}

	// A new manifest that renames fld (active) and drops hrw (revoked):
	// a warning for fld alone, and the note for the never-listed.
	errs = publishManifest(t, keys, data, 2, "fld-org")
	if !strings.Contains(errs, "refuge-server: warning: the key manifest (version 2) no longer lists partner \"fld\" (version 1 did), whose token is still active: a partner the manifest does not list can relay but not refer; "+
		"if the partner was renamed, add a token under its new name and revoke the old one") ||
		!strings.Contains(errs, `refuge-server: note: the key manifest (version 2) does not list partners "Front Line Office", "early", whose tokens are active`) ||
		strings.Contains(errs, "hrw") || strings.Count(errs, "\n") != 3 {
		t.Fatalf("publish dropping a partner: %q", errs)
	}
	if out, _, _ := serverCmd("token", "list", "--data", data); !regexp.MustCompile(`(?m)^fld\s+partner\s+\S+\s+active\s+NO$`).MatchString(out) {
		t.Fatalf("token list after fld was dropped:\n%s", out)
	}
	// The renamed partner's new token, under the manifest's name.
	if out, errs, rc := serverCmd("token", "add", "--partner", "fld-org", "--data", data); rc != exitOK || !added.MatchString(out) || errs != info("fld-org") {
		t.Fatalf("add the renamed partner: %d %q %q", rc, out, errs)
	}
}

// TestPartnerTokenNamesNoManifest checks token list before any manifest
// is published: no partner is marked, and one line says why.
func TestPartnerTokenNamesNoManifest(t *testing.T) {
	data := newDataDir(t)
	if _, errs, rc := serverCmd("token", "add", "--partner", "fld", "--data", data); rc != exitOK {
		t.Fatal(errs)
	}
	out, errs, rc := serverCmd("token", "list", "--data", data)
	if rc != exitOK || !regexp.MustCompile(`(?m)^fld\s+partner\s+\S+\s+active\s+-$`).MatchString(out) ||
		errs != "refuge-server: note: no key manifest is published yet, so partner names are not checked against it\n" {
		t.Fatalf("token list with no manifest: %d %q %q", rc, out, errs)
	}
}

// TestPartnerTokenNamesManyPartners checks that the refusal names at most
// 20 of a long manifest's partners, in order, and how many more it has.
func TestPartnerTokenNamesManyPartners(t *testing.T) {
	data := newDataDir(t)
	var names []string
	for i := range 25 {
		names = append(names, fmt.Sprintf("p%02d", i))
	}
	publishManifest(t, clienttest.NewKeys(t), data, 1, names...)
	_, errs, rc := serverCmd("token", "add", "--partner", "zz", "--data", data)
	if rc != exitError || !strings.Contains(errs, `(it lists "p00", "p01", `) || !strings.Contains(errs, `"p18", "p19", and 5 more); no token was added`) ||
		strings.Contains(errs, "p20") || strings.Contains(errs, "did you mean") {
		t.Fatalf("add against 25 partners: %d %q", rc, errs)
	}
}

// TestPartnerTokenNamesBrokenManifest checks a stored manifest that does
// not parse (the store takes it as given): the check cannot be made, so a
// partner token is added with a warning that says why, and token list
// marks no partner.
func TestPartnerTokenNamesBrokenManifest(t *testing.T) {
	srv := clienttest.Setup(t, nil, []byte(`{"format":"refuge-manifest-v1"`), []byte("not a signature"), 1)
	out, errs, rc := serverCmd("token", "add", "--partner", "ngo", "--data", srv.Dir)
	if rc != exitOK || len(strings.TrimSpace(out)) != 64 ||
		!strings.Contains(errs, "\nrefuge-server: warning: the published key manifest does not parse: ") ||
		!strings.HasSuffix(errs, ": the partner name was not checked against it\n") {
		t.Fatalf("add with a broken manifest: %d %q %q", rc, out, errs)
	}
	out, errs, rc = serverCmd("token", "list", "--data", srv.Dir)
	if rc != exitOK || !regexp.MustCompile(`(?m)^ngo\s+partner\s+\S+\s+active\s+-$`).MatchString(out) ||
		!strings.HasPrefix(errs, "refuge-server: warning: the published key manifest does not parse: ") {
		t.Fatalf("list with a broken manifest: %d %q %q", rc, out, errs)
	}
}
