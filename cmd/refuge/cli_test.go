package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"refuge/client/clienttest"
	"refuge/crypto/bundle"
)

// result is what a refuge subprocess did.
type result struct {
	stdout, stderr string
	code           int
}

// user is one person's device: a private state folder.
type user struct {
	t     *testing.T
	state string
	env   []string
}

func newUser(t *testing.T) *user {
	return &user{t: t, state: t.TempDir()}
}

// command returns the refuge subprocess for args (not started).
func (u *user) command(stdin io.Reader, args ...string) *exec.Cmd {
	// "refuge" is this test binary, which TestMain (main_test.go) puts on
	// PATH as the refuge command, with the KDF test knob lowered.
	bin, err := exec.LookPath("refuge")
	if err != nil {
		u.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "REFUGE_STATE_DIR="+u.state, fastRetryEnv+"=1",
		"ALL_PROXY=", "HTTPS_PROXY=", "HTTP_PROXY=", "REFUGE_TOKEN=")
	cmd.Env = append(cmd.Env, u.env...)
	cmd.Stdin = stdin
	return cmd
}

// run runs refuge with args and stdin (nil: empty), with no terminal.
func (u *user) run(stdin string, args ...string) result {
	u.t.Helper()
	cmd := u.command(strings.NewReader(stdin), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// ok runs refuge and fails the test unless it exits 0.
func (u *user) ok(stdin string, args ...string) result {
	u.t.Helper()
	r := u.run(stdin, args...)
	if r.code != 0 {
		u.t.Fatalf("refuge %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (u *user) init(srv *clienttest.Server) {
	u.t.Helper()
	pub := srv.Keys.RootPub.String()
	u.ok("", "init", "--server", srv.URL, "--root-pub", pub)
}

// randomFile writes n random bytes to dir/name.
func randomFile(t *testing.T, dir, name string, n int64) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, io.LimitReader(rand.Reader, n)); err != nil {
		t.Fatal(err)
	}
	return p
}

func fileHash(t *testing.T, p string) [32]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// phraseOf returns the receipt phrase that submit printed (the one line
// of standard output when it is not a terminal).
func phraseOf(t *testing.T, r result) string {
	t.Helper()
	p := strings.TrimSpace(r.stdout)
	if len(strings.Fields(p)) != 12 || strings.Contains(p, "\n") {
		t.Fatalf("submit did not print a 12-word phrase alone on stdout: %q", r.stdout)
	}
	return p
}

// pullOne pulls as a courier into a new folder and returns the one bundle
// pulled.
func pullOne(t *testing.T, srv *clienttest.Server) string {
	t.Helper()
	inbox := t.TempDir()
	newUser(t).ok("", "courier", "pull", "--server", srv.URL, "--token", srv.Courier, "-o", inbox)
	pulled, _ := filepath.Glob(filepath.Join(inbox, "*.age"))
	if len(pulled) != 1 {
		t.Fatalf("pulled %v", pulled)
	}
	return pulled[0]
}

// openPulled opens a pulled bundle with the officer's identity and
// returns the extraction.
func openPulled(t *testing.T, srv *clienttest.Server, path string) *bundle.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := t.TempDir()
	res, err := bundle.Open(f, []age.Identity{srv.Keys.Officer}, out, bundle.Options{})
	if err != nil {
		t.Fatalf("pulled bundle does not open: %v", err)
	}
	return res
}

// pendingEmpty fails unless no upload state is left in the state folder.
func pendingEmpty(t *testing.T, u *user) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(u.state, "pending", "*"))
	if len(left) > 0 {
		t.Fatalf("upload state left behind after success: %v", left)
	}
}

var _ = context.Background

// submitted starts a server and a defender who has submitted one file of
// size bytes, and returns both and the receipt phrase.
func submitted(t *testing.T, name string, size int64) (*clienttest.Server, *user, string) {
	t.Helper()
	srv := clienttest.StartServer(t)
	u, phrase := submittedTo(t, srv, name, size)
	return srv, u, phrase
}

// submittedTo is a defender who has run refuge init for srv and submitted
// one file of size bytes, and the receipt phrase.
func submittedTo(t *testing.T, srv *clienttest.Server, name string, size int64) (*user, string) {
	t.Helper()
	u := newUser(t)
	u.init(srv)
	return u, phraseOf(t, u.ok("", "submit", randomFile(t, t.TempDir(), name, size)))
}
