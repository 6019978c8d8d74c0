package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"refuge/client/clienttest"
	"refuge/server/store"
)

func TestHelpAndUsage(t *testing.T) {
	t.Parallel()
	u := newUser(t)
	for _, cmd := range [][]string{{"init"}, {"submit"}, {"status"}, {"replies"}, {"relay"}, {"refer"}, {"courier"}, {"courier", "pull"}} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			r := u.ok("", append(cmd, "--help")...)
			if !strings.Contains(r.stdout, "Usage") || !strings.Contains(r.stdout, "Example") || !strings.Contains(r.stdout, "Exit codes") {
				t.Fatalf("help lacks usage, examples or exit codes:\n%s", r.stdout)
			}
		})
	}
	tests := []struct {
		desc string
		args []string
		code int
		want string
		not  string // must not appear (a secret, the whole help)
	}{
		{"no command", nil, 2, "Usage", ""},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command", ""},
		{"unknown flag", []string{"submit", "--nope", "x"}, 2, "hint:", ""},
		{"submit nothing", []string{"submit"}, 2, "nothing to submit", ""},
		{"submit without server", []string{"submit", "x"}, 2, "no server", ""},
		{"status with the phrase", []string{"status", "phone bless ecology"}, 2, "asks for the receipt phrase at a prompt", "bless"},
		{"status with the phrase's words", []string{"status", "phone", "bless"}, 2, "history", "phone"},
		{"replies with the phrase", []string{"replies", "phone bless ecology"}, 2, "asks for the receipt phrase at a prompt", "bless"},
		{"replies -o a file", []string{"replies", "-o", "main.go"}, 2, "-o main.go is a file, not a folder", ""},
		{"mistyped command", []string{"sumbit", "a.pdf"}, 2, `did you mean "refuge submit"?`, "refuge  --help"},
		{"mistyped command help", []string{"sumbit"}, 2, `run "refuge --help" for usage`, ""},
		{"mistyped flag", []string{"submit", "--note", "note.txt", "a.pdf"}, 2, "did you mean --note-file?", "Usage:"},
		{"mistyped flag, one letter off", []string{"submit", "--restrat", "a.pdf"}, 2, "did you mean --restart?", "Usage:"},
		{"http server refused", []string{"init", "--server", "http://example.org", "--root-pub", "RWQ"}, 2, "https", ""},
		{"bad root key", []string{"init", "--server", "https://example.org", "--root-pub", "nope"}, 2, "--root-pub is not a root public key", "nope"},
		{"root key a character short", []string{"submit", "--server", "https://example.org", "--root-pub", "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO", "a.pdf"}, 2, "hint: copy it again exactly as the officers published it", "base64"},
		{"bad proxy", []string{"init", "--server", "https://example.org", "--root-pub", "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3", "--proxy", "ftp://x"}, 2, "proxy", ""},
		{"courier without action", []string{"courier"}, 2, "pull or push", ""},
		{"refer with fields missing", []string{"refer", "--server", "http://127.0.0.1:1", "--root-pub", "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3", "--token", strings.Repeat("0", 64), "--partner", "fld", "--partner-key", "fld.key", "--defender", "A. N.", "--work", " \t", "a.pdf"}, 2,
			"error: referral form: 7 fields are missing: nationality (--nationality), current_country (--country), work (--work), risk (--risk), urgency (--urgency), safe_contact (--contact), referring_organisation (--referring-org)\n", "phrase"},
		{"courier action mistyped", []string{"courier", "pul", "-o", "inbox"}, 2, `did you mean "refuge courier pull"?`, "Usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := u.run("", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr+r.stdout, tt.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if tt.not != "" && strings.Contains(r.stderr+r.stdout, tt.not) {
				t.Fatalf("the output holds %q:\n%s%s", tt.not, r.stdout, r.stderr)
			}
		})
	}
}

func TestInitProfile(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	other := clienttest.NewKeys(t)
	u := newUser(t)
	u.init(srv)
	p := filepath.Join(u.state, profileFile)
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile: %v %v", fi, err)
	}
	if di, _ := os.Stat(u.state); di.Mode().Perm() != 0o700 {
		t.Fatalf("state folder mode %v", di.Mode().Perm())
	}
	before, _ := os.ReadFile(p)
	otherPub := other.RootPub.String()
	r := u.run("", "init", "--server", srv.URL, "--root-pub", otherPub)
	if r.code != 1 || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("changing the pinned root key: exit %d\n%s", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(p); string(after) != string(before) {
		t.Fatal("a refused init changed the profile")
	}
	u.ok("", "init", "--server", srv.URL, "--root-pub", otherPub, "--force")
	var prof profile
	data, _ := os.ReadFile(p)
	json.Unmarshal(data, &prof)
	if prof.RootPub != otherPub {
		t.Fatal("--force did not replace the root key")
	}
	// The profile now pins the wrong key: submit refuses (exit 3), and a
	// --root-pub flag overrides the profile.
	f := randomFile(t, t.TempDir(), "a.txt", 10)
	if r := u.run("", "submit", f); r.code != 3 {
		t.Fatalf("submit with another pinned key: exit %d", r.code)
	}
	pub := srv.Keys.RootPub.String()
	u.ok("", "submit", "--root-pub", pub, f)
}

// TestProfileStrict: a profile.json that refuge init would not write is
// refused, naming the file and none of what it holds: encoding/json took a
// field name in another letter case (ſ, the long s, folds to s), kept the
// last of a field named twice and ignored what followed the object, so a
// profile could pin one key to one reader and another to the next. The
// refused profile is left as it was, and init --force writes a sound one.
func TestProfileStrict(t *testing.T) {
	t.Parallel()
	const server, key = `"https://example.org"`, `"RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"`
	for _, tc := range []struct{ desc, data string }{
		{"field twice", `{"server":` + server + `,"root_pub":` + key + `,"root_pub":` + key + `}`},
		{"field in upper case", `{"Server":` + server + `,"root_pub":` + key + `}`},
		{"long s in a field name", `{"ſerver":` + server + `,"root_pub":` + key + `}`},
		{"unknown field", `{"server":` + server + `,"root_pub":` + key + `,"zzevil":1}`},
		{"data after the object", `{"server":` + server + `,"root_pub":` + key + `} zzevil`},
		{"not JSON", `zzevil`},
		{"a string for an object", `"zzevil"`},
		{"null, which encoding/json read as an empty profile", `null`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			u := newUser(t)
			p := filepath.Join(u.state, profileFile)
			if err := os.WriteFile(p, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			r := u.run("", "init", "--server", "https://example.org", "--root-pub", strings.Trim(key, `"`))
			if r.code != 1 || !strings.Contains(r.stderr, "the profile "+p+" is damaged") || !strings.Contains(r.stderr, "--force") {
				t.Fatalf("exit %d, want 1 naming the damaged profile:\n%s", r.code, r.stderr)
			}
			for _, s := range []string{"zzevil", "Server", "ſerver", "example.org", "RWQ"} {
				if strings.Contains(r.stderr, s) {
					t.Fatalf("the error repeats the profile (%q):\n%s", s, r.stderr)
				}
			}
			if data, _ := os.ReadFile(p); string(data) != tc.data {
				t.Fatal("the refused profile was changed")
			}
			u.ok("", "init", "--server", "https://example.org", "--root-pub", strings.Trim(key, `"`), "--force")
		})
	}
}

// TestCourierDetectsRewrittenLog: a pull remembers the log's head; if the
// history it saw changes, the next pull fails.
func TestCourierDetectsRewrittenLog(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	u.init(srv)
	u.ok("", "submit", randomFile(t, t.TempDir(), "a.txt", 10))
	inbox := t.TempDir()
	c := newUser(t)
	c.ok("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	head := filepath.Join(inbox, "events-head.json")
	var h eventHead
	data, _ := os.ReadFile(head)
	if err := json.Unmarshal(data, &h); err != nil || h.Seq < 2 {
		t.Fatalf("head %s: %v", data, err)
	}
	// What the courier saw last time differs from what the server now
	// shows: as if the server had rewritten an entry.
	forged := h
	forged.Hash = strings.Repeat("ab", 32)
	data, _ = json.Marshal(forged)
	os.WriteFile(head, data, 0o600)
	r := c.run("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	if r.code != 1 || !strings.Contains(r.stderr, "rewritten") {
		t.Fatalf("rewritten history: exit %d\n%s", r.code, r.stderr)
	}
	// A log shorter than seen: history dropped.
	forged = h
	forged.Seq = h.Seq + 5
	data, _ = json.Marshal(forged)
	os.WriteFile(head, data, 0o600)
	r = c.run("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	if r.code != 1 || !strings.Contains(r.stderr, "dropped") {
		t.Fatalf("dropped history: exit %d\n%s", r.code, r.stderr)
	}
	if r := c.run("", "courier", "pull", "--server", srv.URL, "--token", srv.Partner, "-o", inbox); r.code != 1 {
		t.Fatalf("a partner token pulled: exit %d", r.code)
	}
}

// TestAgainstServerProcess runs the journey against a real refuge-server
// binary built from cmd/refuge-server.
func TestAgainstServerProcess(t *testing.T) {
	t.Parallel()
	bin := clienttest.BuildServer(t)
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	log, _ := srv.StartProcess(t, bin)
	u := newUser(t)
	u.init(srv)
	f := randomFile(t, t.TempDir(), "canary-name.pdf", 3<<20)
	phrase := phraseOf(t, u.ok("", "submit", f))
	if st := u.ok(phrase+"\n", "status"); !strings.Contains(st.stdout, "received") {
		t.Fatalf("status: %s", st.stdout)
	}
	pulled := pullOne(t, srv)
	// The officers' own tool opens what the courier pulled.
	officer := buildOfficer(t)
	keyFile, passFile := officerKeyFile(t, srv)
	out := filepath.Join(t.TempDir(), "inbox")
	cmd := exec.Command(officer, "open", "-i", keyFile, "--passphrase-file", passFile, "-o", out, pulled)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("refuge-officer open: %v\n%s", err, msg)
	}
	id := strings.TrimSuffix(filepath.Base(pulled), ".age")
	if fileHash(t, filepath.Join(out, id, "files", "canary-name.pdf")) != fileHash(t, f) {
		t.Fatal("the file differs after the journey through refuge-server and refuge-officer")
	}
	if strings.Contains(log(), "canary-name") {
		t.Fatal("the server logged a file name")
	}
	filepath.WalkDir(srv.Dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(p); bytes.Contains(data, []byte("canary-name")) || holdsPhrase(string(data), phrase) {
				t.Errorf("%s on the server holds a file name or the phrase", p)
			}
		}
		return nil
	})
}

// A server whose disk is too full refuses the upload before it takes
// anything (507). refuge submit says so and keeps what it sealed; the same
// command, run once the server has room, sends it under the phrase already
// shown.
func TestSubmitServerDiskFull(t *testing.T) {
	t.Parallel()
	bin := clienttest.BuildServer(t)
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	_, stop := srv.StartProcess(t, bin, "--min-free", strconv.FormatInt(1<<62, 10))
	u := newUser(t)
	u.init(srv)
	f := randomFile(t, t.TempDir(), "report.pdf", 1<<20)
	r := u.run("", "submit", f)
	if r.code != 4 || !strings.Contains(r.stderr, "short of disk space") || !strings.Contains(r.stderr, "nothing is lost") {
		t.Fatalf("submit to a full server: exit %d\n%s", r.code, r.stderr)
	}
	phrase := phraseOf(t, r)
	stop()
	st, err := store.Open(srv.Dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if evs, err := st.Events(context.Background(), 0, 100); err != nil || len(evs) != 0 {
		t.Fatalf("the full server recorded %d events (%v); it should have taken nothing", len(evs), err)
	}
	st.Close()
	srv.StartProcess(t, bin)
	r = u.ok("", "submit", f)
	if !strings.Contains(r.stderr, "resuming") || r.stdout != "" {
		t.Fatalf("the run once the server had room:\n%s%s", r.stdout, r.stderr)
	}
	if st := u.ok(phrase+"\n", "status"); !strings.Contains(st.stdout, "received") {
		t.Fatalf("status: %s", st.stdout)
	}
}

// buildOfficer builds cmd/refuge-officer into a temporary folder.
func buildOfficer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "refuge-officer")
	if out, err := exec.Command("go", "build", "-o", bin, "refuge/cmd/refuge-officer").CombinedOutput(); err != nil {
		t.Fatalf("building refuge-officer: %v\n%s", err, out)
	}
	return bin
}

// officerKeyFile writes the deployment's officer identity as keygen does
// (age identity text under an age scrypt passphrase, with a low work
// factor: a test key) and a passphrase file.
func officerKeyFile(t *testing.T, srv *clienttest.Server) (string, string) {
	t.Helper()
	dir := t.TempDir()
	r, err := age.NewScryptRecipient("officer pass")
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, r)
	fmt.Fprintf(w, "# public key: %s\n%s\n", srv.Keys.Recipient, srv.Keys.Officer)
	w.Close()
	key, pass := filepath.Join(dir, "officer.key"), filepath.Join(dir, "pass")
	os.WriteFile(key, buf.Bytes(), 0o600)
	os.WriteFile(pass, []byte("officer pass\n"), 0o600)
	return key, pass
}

// An .onion server with no proxy set for it: refused before its name is
// looked up, with how to reach it through Tor.
func TestOnionWithoutProxy(t *testing.T) {
	t.Parallel()
	u := newUser(t)
	onion := "http://" + strings.Repeat("a", 56) + ".onion"
	file := randomFile(t, t.TempDir(), "a.txt", 100)
	r := u.run("", "submit", "--server", onion, "--root-pub", clienttest.NewKeys(t).RootPub.String(), "--proxy", "direct", file)
	if r.code != exitError || !strings.Contains(r.stderr, "can be reached only through Tor") ||
		!strings.Contains(r.stderr, "hint: start Tor and give its proxy: --proxy socks5h://127.0.0.1:9050") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
