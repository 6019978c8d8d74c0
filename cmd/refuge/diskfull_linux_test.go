package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"refuge/client/clienttest"
)

// A disk with no room for the sealed bundle stops refuge submit before
// the receipt phrase is shown and before anything is sent, with a message
// that says what to do, and leaves nothing behind. The disk is made
// small for real: the refuge process runs under prlimit --fsize (its files
// may not grow past 1 MiB), so reserving the 3 MiB spool fails.
func TestSubmitDiskTooSmall(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	file := randomFile(t, t.TempDir(), "video.bin", 3<<20)
	cmd := u.command(nil, "submit", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String(), file)
	underFileSizeLimit(t, cmd, 1<<20)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("refuge submit on a full disk: %v, want exit 1\n%s", err, errb.String())
	}
	msg := errb.String()
	if !strings.Contains(msg, "not enough room on this disk") || !strings.Contains(msg, "nothing was sent") {
		t.Fatalf("the message does not say what happened:\n%s", msg)
	}
	if out.Len() != 0 || strings.Contains(msg, "RECEIPT") || strings.Contains(msg, "phrase") {
		t.Fatalf("a receipt phrase was shown for a submission that could not start:\nstdout: %s\nstderr: %s", out.String(), msg)
	}
	if n := srv.Requests()["POST"]; n != 0 {
		t.Fatalf("%d uploads created", n)
	}
	pendingEmpty(t, u)

	// With room, the same command goes through.
	phraseOf(t, u.ok("", "submit", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String(), file))
	pendingEmpty(t, u)
}

// refuge init that cannot write its profile (the process may not write a
// byte: prlimit --fsize=0) fails saying so, and leaves no folder it made
// for the profile, parents of a nested REFUGE_STATE_DIR included; a
// folder that was there stays.
func TestInitWriteFailedLeavesNothing(t *testing.T) {
	t.Parallel()
	keys := clienttest.NewKeys(t)
	there := t.TempDir()
	u := newUser(t)
	u.state = filepath.Join(there, "absent", "nested", "refuge")
	cmd := u.command(nil, "init", "--server", "http://127.0.0.1:9", "--root-pub", keys.RootPub.String())
	underFileSizeLimit(t, cmd, 0)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errb.String(), "cannot write the profile") {
		t.Fatalf("refuge init with no room for its profile: %v, want exit 1 saying so\n%s", err, errb.String())
	}
	if left, err := os.ReadDir(there); err != nil || len(left) != 0 {
		t.Fatalf("the failed init left %v in the folder that held the state folder (%v)", left, err)
	}
}

// underFileSizeLimit makes cmd run under prlimit --fsize=limit: the files
// it writes may not grow past limit bytes, as on a disk that is full.
func underFileSizeLimit(t *testing.T, cmd *exec.Cmd, limit int) {
	t.Helper()
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is needed: %v", err)
	}
	cmd.Args = append([]string{"prlimit", fmt.Sprintf("--fsize=%d", limit), cmd.Path}, cmd.Args[1:]...)
	cmd.Path = prlimit
}

// A receipt phrase that cannot be written to standard output (a script
// sends it to a file on a full disk; /dev/full answers every write so)
// reaches no one: submit sends nothing and seal leaves no bundle, exit 1,
// saying that the phrase is void. With --receipt-out the phrase is in
// that file, so the run warns and goes on, and the file's phrase finds
// the submission. status, its answer sent to a full disk, exits 1 saying
// so (it used to exit 0, having written nothing).
func TestPhraseStdoutFull(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	dir := t.TempDir()
	file := randomFile(t, dir, "evidence.bin", 1000)
	runFullIn := func(stdin io.Reader, args ...string) (int, string) {
		t.Helper()
		full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		cmd := u.command(stdin, args...)
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = full, &errb
		err = cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), errb.String()
	}
	runFull := func(args ...string) (int, string) { t.Helper(); return runFullIn(nil, args...) }
	void := func(what string, code int, msg string) {
		t.Helper()
		if code != 1 || !strings.Contains(msg, "cannot write the receipt phrase to standard output") ||
			!strings.Contains(msg, "the phrase is void") || !strings.Contains(msg, "--receipt-out F") {
			t.Fatalf("%s with standard output on a full disk: exit %d, want 1 saying the phrase is void\n%s", what, code, msg)
		}
	}

	submit := []string{"submit", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String()}
	code, msg := runFull(append(submit, file)...)
	void("submit", code, msg)
	if n := srv.Requests()["POST"]; n != 0 {
		t.Fatalf("%d uploads created under a phrase no one has", n)
	}
	pendingEmpty(t, u)

	m, sig := srv.Keys.Manifest(t, 1, "2099-01-01")
	mf := filepath.Join(dir, "manifest.json")
	os.WriteFile(mf, m, 0o600)
	os.WriteFile(mf+".minisig", sig, 0o600)
	sealed := filepath.Join(dir, "bundle.age")
	code, msg = runFull("seal", "--manifest", mf, "--root-pub", srv.Keys.RootPub.String(), "-o", sealed, file)
	void("seal", code, msg)
	for _, name := range []string{sealed, sealed + ".ticket"} {
		if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("seal left %s for a phrase no one has (%v)", name, err)
		}
	}

	receipt := filepath.Join(dir, "phrase.txt")
	code, msg = runFull(append(submit, "--receipt-out", receipt, file)...)
	if code != 0 || !strings.Contains(msg, "warning: cannot write the receipt phrase to standard output") || !strings.Contains(msg, "it is in "+receipt) {
		t.Fatalf("submit --receipt-out with standard output on a full disk: exit %d, want 0 with a warning\n%s", code, msg)
	}
	phrase, err := os.ReadFile(receipt)
	if err != nil {
		t.Fatal(err)
	}
	if st := u.ok(string(phrase), "status", "--server", srv.URL); !strings.Contains(st.stdout, "received") {
		t.Fatalf("the phrase of the --receipt-out file does not find the submission: %s", st.stdout)
	}
	// The status itself, sent to a full disk, is not taken as said.
	if code, msg := runFullIn(strings.NewReader(string(phrase)), "status", "--server", srv.URL); code != 1 ||
		!strings.Contains(msg, "refuge: error: cannot write the status to standard output") || !strings.Contains(msg, "run the same command again") {
		t.Fatalf("status with standard output on a full disk: exit %d, want 1 saying so\n%s", code, msg)
	}
}
