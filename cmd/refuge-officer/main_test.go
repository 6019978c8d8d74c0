package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"

	"refuge/crypto/bundle"
	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"refuge-officer": func() {
			kdfcost.LowerForTests()
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScript runs the txtar scripts in testdata/script: each runs the real
// command as a user would, with stock age (built from the module cache) on
// PATH for interoperability checks.
func TestScript(t *testing.T) {
	ageDir := buildStockAge(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", ageDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("REFUGE_STATE_DIR", filepath.Join(env.WorkDir, ".state"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mode":       cmdMode,
			"sealfor":    cmdSealFor,
			"truncate":   cmdTruncate,
			"flipbyte":   cmdFlipByte,
			"setenvfile": cmdSetenvFile,
			"exitcode":   cmdExitCode,
		},
	})
}

// buildStockAge builds the stock age command of the module cache, and the
// refuge client (a release build, at full KDF cost) for round trips.
func buildStockAge(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, pkg := range []string{"filippo.io/age/cmd/age", "../refuge"} {
		cmd := exec.Command("go", "build", "-o", dir+"/", pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", pkg, err, out)
		}
	}
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatalf("the tests need script(1) to type passphrases into stock age: apt-get install util-linux (or run ./test.sh)")
	}
	return dir
}

// cmdMode checks a file's permission bits: mode FILE 0600.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	got := fi.Mode().Perm()
	if (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %v; want %s%v", args[0], got, map[bool]string{true: "not ", false: ""}[neg], os.FileMode(want))
	}
	fmt.Fprint(ts.Stdout(), "")
}

// cmdSealFor seals files with crypto/bundle directly, for tests of open
// that must not depend on the refuge client:
// sealfor RECIPIENTFILE OUT [-id ID] [-note NOTEFILE] [-partner NAME KEY PASSFILE] FILES...
// (a random submission id unless -id is given). With -partner it is a
// referral of partner NAME, signed as refuge refer signs one, with the
// minisign key in the file KEY (one that ackkey makes will do), whose
// passphrase is the first line of PASSFILE.
func cmdSealFor(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: sealfor RECIPIENTFILE OUT [-id ID] [-note NOTEFILE] [-partner NAME KEY PASSFILE] FILES...")
	}
	r, err := age.ParseHybridRecipient(strings.TrimSpace(ts.ReadFile(args[0])))
	ts.Check(err)
	out, files := args[1], args[2:]
	id := make([]byte, 16)
	rand.Read(id)
	if files[0] == "-id" {
		id, err = hex.DecodeString(files[1])
		ts.Check(err)
		files = files[2:]
	}
	var note []byte
	if files[0] == "-note" {
		note = []byte(ts.ReadFile(files[1]))
		files = files[2:]
	}
	c := bundle.Contents{Note: note, SubmissionID: hex.EncodeToString(id), Kind: bundle.KindAnonymous}
	if files[0] == "-partner" {
		pass, _, _ := strings.Cut(ts.ReadFile(files[3]), "\n")
		key, err := signing.LoadPrivateKey(ts.MkAbs(files[2]), []byte(pass))
		ts.Check(err)
		defer key.Destroy()
		partner := files[1]
		c.Kind, c.Partner = bundle.KindReferral, partner
		c.Sign = func(mj []byte) ([]byte, error) { return key.Sign(mj, "refuge referral by "+partner) }
		files = files[4:]
	}
	for i := range files {
		files[i] = ts.MkAbs(files[i])
	}
	c.Files, err = bundle.CollectFiles(files)
	ts.Check(err)
	reply, err := age.GenerateHybridIdentity()
	ts.Check(err)
	c.ReplyRecipient = reply.Recipient().String()
	f, err := os.Create(ts.MkAbs(out))
	ts.Check(err)
	defer f.Close()
	_, err = bundle.Seal(f, []age.Recipient{r}, c)
	if (err != nil) != neg {
		ts.Fatalf("seal: %v", err)
	}
	fmt.Fprintln(ts.Stdout(), hex.EncodeToString(id))
}

// cmdTruncate truncates a file: truncate FILE SIZE.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: truncate FILE SIZE")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// cmdFlipByte flips the bits of one byte: flipbyte FILE OFFSET (negative
// offsets count from the end).
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off < 0 {
		off += len(b)
	}
	b[off] ^= 0xff
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// cmdSetenvFile sets an environment variable to a file's trimmed content:
// setenvfile VAR FILE.
func cmdSetenvFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: setenvfile VAR FILE")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
}

// cmdExitCode runs a command and checks its exit code:
// exitcode N PROG ARGS...
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}
