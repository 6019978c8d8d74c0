package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
)

func TestMain(m *testing.M) {
	if sock := os.Getenv(dialUnixEnv); sock != "" {
		dialUnix(sock) // a helper process of TestUnixSocketGroup
		return
	}
	kdfcost.LowerForTests()
	os.Exit(m.Run())
}

func TestTokenCommands(t *testing.T) {
	data := newDataDir(t)
	var out, errb bytes.Buffer
	if rc := run([]string{"token", "add", "--partner", "fld", "--data", data}, &out, &errb); rc != 0 {
		t.Fatalf("token add: %d %s", rc, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(tok) {
		t.Fatalf("token %q", tok)
	}
	errb.Reset()
	if rc := run([]string{"token", "add", "--partner", "fld", "--data", data}, io.Discard, &errb); rc != exitError ||
		errb.String() != "refuge-server: error: add token: the partner token named \"fld\" is active; no token was added\n"+
			"refuge-server: hint: if it leaked or was lost: refuge-server token reissue --partner fld --data "+data+" revokes it and prints a new one under the same name, in one step\n" {
		t.Fatalf("second add of the same name: %d %q", rc, errb.String())
	}
	// Unknown names, or a name under the other role, revoke nothing and
	// say so; a name is quoted in ASCII, so a control character shows.
	for _, c := range []struct{ args, stderr string }{
		{"--partner nobody", "refuge-server: error: revoke token: there is no partner token named \"nobody\"; nothing was revoked\n" +
			"refuge-server: hint: token list shows the tokens, with their roles\n"},
		{"--courier fld", "refuge-server: error: revoke token: there is no courier token named \"fld\"; nothing was revoked\n" +
			"refuge-server: hint: there is a partner token named \"fld\": did you mean --partner?\n"},
		{"--partner fl\u0434\x1b", "refuge-server: error: revoke token: there is no partner token named \"fl\\u0434\\x1b\"; nothing was revoked\n" +
			"refuge-server: hint: token list shows the tokens, with their roles\n"},
	} {
		role, name, _ := strings.Cut(c.args, " ")
		errb.Reset()
		if rc := run([]string{"token", "revoke", role, name, "--data", data}, io.Discard, &errb); rc != exitError || errb.String() != c.stderr {
			t.Errorf("revoke %s: %d %q", c.args, rc, errb.String())
		}
	}
	if rc := run([]string{"token", "add", "--partner", "a", "--courier", "b", "--data", data}, io.Discard, io.Discard); rc != exitUsage {
		t.Fatalf("both roles: %d", rc)
	}
	if rc := run([]string{"token", "revoke", "--partner", "fld", "--data", data}, io.Discard, io.Discard); rc != 0 {
		t.Fatalf("revoke: %d", rc)
	}
	// Once revoked, the name takes a new token; the revoked one stays.
	errb.Reset()
	out.Reset()
	if rc := run([]string{"token", "add", "--partner", "fld", "--data", data}, &out, &errb); rc != 0 || !strings.Contains(errb.String(),
		"\nrefuge-server: note: the partner token named \"fld\" before this one stays revoked; uploads begun with it cannot be finished\n") {
		t.Fatalf("add of a revoked name: %d %q", rc, errb.String())
	}
	tok2 := strings.TrimSpace(out.String())
	out.Reset()
	if rc := run([]string{"token", "list", "--data", data}, &out, io.Discard); rc != 0 ||
		!regexp.MustCompile(`(?m)^fld\s+partner\s+\d{4}-\d\d-\d\d\s+revoked\s+-\nfld\s+partner\s+\d{4}-\d\d-\d\d\s+active\s+-$`).MatchString(out.String()) {
		t.Fatalf("list: %d %q", rc, out.String())
	}
	if strings.Contains(out.String(), tok) || strings.Contains(out.String(), tok2) {
		t.Fatal("token list shows a token")
	}
	// Only the verifiers are on disk.
	db, _ := os.ReadFile(filepath.Join(data, "refuge.db"))
	if bytes.Contains(db, []byte(tok)) || bytes.Contains(db, []byte(tok2)) {
		t.Fatal("a token is stored")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--data", "x"}, {"--root-pub", "RWnotakey", "--data", "x"}, {"--bogus"}, {"--tls-cert", "a", "--data", "x", "--root-pub", "y"},
		{"--min-free", "0", "--data", "x", "--root-pub", "y"}, {"--min-free", "-5", "--data", "x", "--root-pub", "y"},
		{"--min-free", "1GiB", "--data", "x", "--root-pub", "y"}, {"--max-upload", "0", "--data", "x", "--root-pub", "y"}, {"--max-connections", "0", "--data", "x", "--root-pub", "y"},
		{"token", "bogus", "--data", "x"}, {"token", "add", "--data", "x"},
		{"--keep", "--data", "x", "--root-pub", "y"}, {"--dev", "--data", "x"}, {"--dev", "--root-pub", "y"}} {
		var errb bytes.Buffer
		if rc := run(args, io.Discard, &errb); rc != exitUsage || !strings.HasPrefix(errb.String(), "refuge-server: error: ") {
			t.Errorf("%v: %d %q", args, rc, errb.String())
		}
	}
}

// TestMistyped checks what a mistyped flag or subcommand gets: one line
// saying what is wrong, the one meant, and exit code 2; never the usage,
// which would bury the error. Help asked for anywhere is help.
func TestMistyped(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		args   []string
		stderr string
	}{
		{"serve flag", []string{"--listn", "x"}, `refuge-server: error: unknown flag --listn
refuge-server: hint: did you mean --listen?
refuge-server: hint: run "refuge-server --help" for usage
`},
		{"publish flag", []string{"publish", "--dat", "x", "m.json", "m.json.minisig"}, `refuge-server: error: unknown flag --dat
refuge-server: hint: did you mean --data?
refuge-server: hint: run "refuge-server publish --help" for usage
`},
		{"token flag", []string{"token", "add", "--partnr", "fld", "--data", "x"}, `refuge-server: error: unknown flag --partnr
refuge-server: hint: did you mean --partner?
refuge-server: hint: run "refuge-server token add --help" for usage
`},
		{"token subcommand", []string{"token", "ad", "--partner", "fld", "--data", "x"}, `refuge-server: error: unknown token subcommand "ad" (add, reissue, revoke, list)
refuge-server: hint: did you mean "refuge-server token add"?
refuge-server: hint: run "refuge-server token --help" for usage
`},
		{"command", []string{"tokn", "add", "--data", "x"}, `refuge-server: error: unexpected argument "tokn"
refuge-server: hint: did you mean "refuge-server token"?
refuge-server: hint: run "refuge-server --help" for usage
`},
		{"subcommand after flags", []string{"--data", "x", "token", "add", "--partner", "fld"}, `refuge-server: error: "token" is a subcommand, and comes before any flag
refuge-server: hint: write the subcommand first, then its flags: refuge-server token … --data DIR
`},
		{"publish after flags", []string{"--data", "x", "--root-pub", "RW", "publish", "m.json", "m.json.minisig"}, `refuge-server: error: "publish" is a subcommand, and comes before any flag
refuge-server: hint: write the subcommand first, then its flags: refuge-server publish … --data DIR
`},
		{"nothing near", []string{"--bogus"}, `refuge-server: error: unknown flag --bogus
refuge-server: hint: run "refuge-server --help" for usage
`},
		{"a data folder named token", []string{"--data", "token", "--bogus"}, `refuge-server: error: unknown flag --bogus
refuge-server: hint: run "refuge-server --help" for usage
`},
		{"a data folder named publish", []string{"--data", "publish", "--listn", "x"}, `refuge-server: error: unknown flag --listn
refuge-server: hint: did you mean --listen?
refuge-server: hint: run "refuge-server --help" for usage
`},
		{"a data folder named token, and no root key", []string{"--data", "token"}, `refuge-server: error: --data and --root-pub are required
refuge-server: hint: a quick demo: refuge-server --dev
`},
		{"a data folder named token, then the subcommand", []string{"--data", "token", "token", "add", "--partner", "fld"}, `refuge-server: error: "token" is a subcommand, and comes before any flag
refuge-server: hint: write the subcommand first, then its flags: refuge-server token … --data DIR
`},
		{"subcommand after --data=", []string{"--data=x", "token", "list"}, `refuge-server: error: "token" is a subcommand, and comes before any flag
refuge-server: hint: write the subcommand first, then its flags: refuge-server token … --data DIR
`},
		{"subcommand after its own flag", []string{"--partner", "fld", "token", "add", "--data", "x"}, `refuge-server: error: "token" is a subcommand, and comes before any flag
refuge-server: hint: write the subcommand first, then its flags: refuge-server token … --data DIR
`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var out, errb bytes.Buffer
			if rc := run(tc.args, &out, &errb); rc != exitUsage || errb.String() != tc.stderr || out.Len() != 0 {
				t.Fatalf("exit %d, want %d\nstderr:\n%s\nwant:\n%s\nstdout: %q", rc, exitUsage, errb.String(), tc.stderr, out.String())
			}
		})
	}
	for _, c := range []struct {
		args []string
		help string
	}{
		{[]string{"--help"}, usage},
		{[]string{"--data", "x", "-h"}, usage},
		{[]string{"--data", "x", "token", "-h"}, usage},
		{[]string{"--data", "token", "--help"}, usage},
		{[]string{"publish", "m.json", "--help"}, publishHelp},
		{[]string{"token", "add", "--partner", "fld", "--help"}, tokenAddHelp},
		{[]string{"token", "--help"}, tokenHelp},
	} {
		var out, errb bytes.Buffer
		if rc := run(c.args, &out, &errb); rc != exitOK || out.String() != c.help+"\n" || errb.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q, stdout %d bytes", c.args, rc, errb.String(), out.Len())
		}
	}
}

// TestDev runs --dev in process (with the test knob's cheap key files),
// and checks what it promises: a served manifest signed by the printed
// root key, an officer key that opens with the printed passphrase and is
// the manifest's recipient, and a clean stop.
func TestDev(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- devCmd(ctx, serveFlags{listen: []string{"127.0.0.1:0"}, rate: 100}, pw, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil)))
		pw.Close()
	}()
	b := readBanner(pr)
	field := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(b)
		if m == nil {
			t.Fatalf("banner lacks %s:\n%s", re, b)
		}
		return m[1]
	}
	if !strings.Contains(b, "DO NOT USE IT FOR REAL SUBMISSIONS") {
		t.Fatal("no loud warning")
	}
	url := field(`Server:\s+(http://127\.0\.0\.1:\d+)`)
	dir := field(`Directory:\s+(\S+)`)
	root, err := signing.ParsePublicKey(field(`Root public key:\s+(\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) []byte {
		resp, err := http.Get(url + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return body
	}
	m, err := manifest.Verify(get("/v1/manifest"), get("/v1/manifest.minisig"), root, time.Now(), nil)
	if err != nil {
		t.Fatalf("served manifest: %v", err)
	}
	pass, _ := os.ReadFile(filepath.Join(dir, "passphrase.txt"))
	sid, err := age.NewScryptIdentity(strings.TrimSpace(string(pass)))
	if err != nil {
		t.Fatal(err)
	}
	kf, _ := os.ReadFile(filepath.Join(dir, "officer.key"))
	r, err := age.Decrypt(bytes.NewReader(kf), sid)
	if err != nil {
		t.Fatalf("officer.key with the printed passphrase: %v", err)
	}
	ids, err := age.ParseIdentities(r)
	if err != nil || len(ids) != 1 {
		t.Fatalf("officer.key content: %v", err)
	}
	if ids[0].(*age.HybridIdentity).Recipient().String() != m.Recipients[0] {
		t.Fatal("the officer key is not the manifest's recipient")
	}
	for _, name := range []string{"ack.key", "partner.key"} {
		if _, err := signing.LoadPrivateKey(filepath.Join(dir, name), bytes.TrimSpace(pass)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if ack, ok := m.AckPublicKey(); !ok || ack.IsZero() {
		t.Fatal("manifest has no ack key")
	}
	cancel()
	if rc := <-done; rc != 0 {
		t.Fatalf("dev exited %d", rc)
	}
}

// readBanner reads the --dev banner from r up to its last line, "Press
// Ctrl-C …", and then discards the rest of r in the background.
func readBanner(r io.Reader) string {
	var banner strings.Builder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, r)
	return banner.String()
}
