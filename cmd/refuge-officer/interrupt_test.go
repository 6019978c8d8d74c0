//go:build linux

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"refuge/crypto/bundle"
	"refuge/internal/cli"
	"refuge/internal/fswatch"
)

// runLimit bounds how long a test waits for refuge-officer to end. It is
// not a synchronisation: a run still going by then (a signal it did not
// act on) is a failure, reported instead of hanging the tests.
const runLimit = 60 * time.Second

// officerKey makes an officer key with keygen (at the tests' low KDF
// cost) and returns its file, its passphrase file and its recipient.
func officerKey(t *testing.T, bin, dir string) (key, pass string, r *age.HybridRecipient) {
	t.Helper()
	pass = filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("not a real passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key = filepath.Join(dir, "officer.key")
	out, err := exec.Command(bin, "keygen", "-o", key, "--passphrase-file", pass).Output()
	if err != nil {
		t.Fatalf("keygen: %v", err)
	}
	r, err = age.ParseHybridRecipient(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return key, pass, r
}

// ackKeyFile makes an acknowledgement key, dir/ack.key, under the
// passphrase in the file pass, and returns its path.
func ackKeyFile(t *testing.T, bin, dir, pass string) string {
	t.Helper()
	ackKey := filepath.Join(dir, "ack.key")
	if out, err := exec.Command(bin, "ackkey", "-o", ackKey, "--passphrase-file", pass).CombinedOutput(); err != nil {
		t.Fatalf("ackkey: %v\n%s", err, out)
	}
	return ackKey
}

// sealFile seals one file of size bytes for r into the file name: mark,
// then zeros. The content is never on disk (the tests look for mark
// there). It returns the submission id.
func sealFile(t *testing.T, r age.Recipient, name string, mark []byte, size int64) string {
	t.Helper()
	id := make([]byte, 16)
	rand.Read(id)
	content := func() io.Reader {
		return io.MultiReader(bytes.NewReader(mark), io.LimitReader(zeros{}, size-int64(len(mark))))
	}
	c := bundle.Contents{SubmissionID: hex.EncodeToString(id), Kind: bundle.KindAnonymous,
		Files: []bundle.File{{Name: "evidence.bin", Size: size,
			Open: func() (io.ReadCloser, error) { return io.NopCloser(content()), nil }}}}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := bundle.Seal(f, []age.Recipient{r}, c); err != nil {
		t.Fatal(err)
	}
	return c.SubmissionID
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// runBounded waits for cmd, started, for runLimit at most.
func runBounded(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(runLimit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("refuge-officer %s did not end", strings.Join(cmd.Args[1:2], " "))
		return nil
	}
}

// TestOpenInterrupted stops "open" of five bundles in the middle of the
// third (128 MiB), by SIGINT (Ctrl-C) or SIGTERM, as soon as it has begun
// extracting it (its staging folder appears). The run must exit 130
// saying what it opened and that nothing of the third was kept, leave
// OUTDIR with the two submissions opened and nothing else (no staging
// folder of unverified plaintext, no third submission), no plaintext of
// the third anywhere; and running the same command again skips the two
// and opens the other three. Before, Ctrl-C exited 1 without a word,
// SIGTERM killed the process, and both left the staging folder.
func TestOpenInterrupted(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	keyDir := t.TempDir()
	key, pass, r := officerKey(t, bin, keyDir)
	in := t.TempDir()
	mark := make([]byte, 64)
	rand.Read(mark)
	var names []string
	ids := map[string]string{} // bundle -> submission id
	for i, n := range []string{"a", "b", "c", "d", "e"} {
		name := filepath.Join(in, n+".age")
		names = append(names, name)
		size := int64(100 + i)
		if n == "c" {
			size = 128 << 20
		}
		m := mark
		if n != "c" {
			m = []byte(n)
		}
		ids[name] = sealFile(t, r, name, m, size)
	}

	for _, tc := range []struct {
		sig syscall.Signal
		msg string
	}{
		{syscall.SIGINT, "refuge-officer: error: interrupted (Ctrl-C): "},
		{syscall.SIGTERM, "refuge-officer: error: stopped by SIGTERM: "},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "inbox")
			if err := os.Mkdir(out, 0o700); err != nil {
				t.Fatal(err)
			}
			watch := fswatch.Start(t, out)
			args := append([]string{"open", "-i", key, "--passphrase-file", pass, "-o", out}, names...)
			cmd := exec.Command(bin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			watch.Created(".refuge-staging-", 3) // the third bundle's
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err = runBounded(t, cmd)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitInterrupted {
				t.Fatalf("an interrupted open: %v, want exit %d\n%s%s", err, cli.ExitInterrupted, stdout.String(), stderr.String())
			}
			want := tc.msg + "opened 2 of 5 bundles; " + names[2] + " was not opened, nothing of it was kept; 2 more bundles not started\n" +
				"refuge-officer: hint: run the same command again to go on"
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
			}
			for _, name := range names[:2] {
				if !strings.Contains(stdout.String(), name+": opened into ") {
					t.Errorf("%s is not said to be opened:\n%s", name, stdout.String())
				}
			}
			// OUTDIR: the two submissions and nothing else.
			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, en := range entries {
				got = append(got, en.Name())
			}
			if wantDirs := []string{ids[names[0]], ids[names[1]]}; !sameSet(got, wantDirs) {
				t.Errorf("OUTDIR holds %v, want only %v", got, wantDirs)
			}
			noPlaintext(t, dir, mark)
			noPlaintext(t, in, mark)

			// The same command again goes on.
			again := exec.Command(bin, args...)
			stdout.Reset()
			stderr.Reset()
			again.Stdout, again.Stderr = &stdout, &stderr
			if err := again.Start(); err != nil {
				t.Fatal(err)
			}
			if err := runBounded(t, again); err != nil {
				t.Fatalf("the same command again: %v\n%s", err, stderr.String())
			}
			for i, name := range names {
				verb := ": opened into "
				if i < 2 {
					verb = ": already opened into "
				}
				if !strings.Contains(stdout.String(), name+verb) {
					t.Errorf("the run again does not say %q:\n%s", name+verb, stdout.String())
				}
			}
			if strings.Contains(stderr.String(), "unfinished extraction") {
				t.Errorf("the run again found leftovers of the interrupted one:\n%s", stderr.String())
			}
			f, err := os.Open(filepath.Join(out, ids[names[2]], "files", "evidence.bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			head := make([]byte, len(mark))
			if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, mark) {
				t.Errorf("the third bundle, opened again, does not hold its file: %v", err)
			}
		})
	}
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			return false
		}
	}
	return true
}

// noPlaintext fails if any file under dir holds marker.
func noPlaintext(t *testing.T, dir string, marker []byte) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, marker) {
			t.Errorf("%s holds plaintext of the bundle whose open was stopped", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReplyInterrupted stops "reply" while it seals a large attachment
// (200 MiB, sparse), by SIGINT or SIGTERM, as soon as its temporary file
// appears in the outbox: it must exit 130 saying that the reply was not
// written, leave nothing in the outbox's folder of the submission (no
// temporary file, no reply), and the same command again writes the
// reply. Before, Ctrl-C exited 1 without a word and SIGTERM killed the
// process, and both left the temporary file.
func TestReplyInterrupted(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, _, officer := officerKey(t, bin, dir)
	sender, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	var sealed bytes.Buffer
	c := bundle.Contents{SubmissionID: strings.Repeat("5e", 16), Kind: bundle.KindAnonymous,
		ReplyRecipient: sender.Recipient().String(), Note: []byte("a note")}
	if _, err := bundle.Seal(&sealed, []age.Recipient{officer}, c); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox")
	if err := os.Mkdir(inbox, 0o700); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(inbox, c.SubmissionID)
	attachment := filepath.Join(dir, "form.bin")
	if err := os.WriteFile(attachment, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(attachment, 200<<20); err != nil {
		t.Fatal(err)
	}
	// Opened: the submission to answer.
	key, pass := filepath.Join(dir, "officer.key"), filepath.Join(dir, "pass")
	cmd := exec.Command(bin, "open", "-i", key, "--passphrase-file", pass, "-o", inbox, writeBundle(t, filepath.Join(dir, "in.age"), sealed.Bytes()))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("open: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		sig syscall.Signal
		msg string
	}{
		{syscall.SIGINT, "refuge-officer: error: interrupted (Ctrl-C): the reply was not written, nothing of it was kept\n"},
		{syscall.SIGTERM, "refuge-officer: error: stopped by SIGTERM: the reply was not written, nothing of it was kept\n"},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			outbox := t.TempDir()
			replies := filepath.Join(outbox, "replies", c.SubmissionID)
			if err := os.MkdirAll(replies, 0o700); err != nil {
				t.Fatal(err)
			}
			watch := fswatch.Start(t, replies)
			args := []string{"reply", "--unsigned", "--to", sub, "--message", "Received.", "-o", outbox, attachment}
			cmd := exec.Command(bin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			watch.Created(".refuge-outbox-", 1)
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err = runBounded(t, cmd)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitInterrupted {
				t.Fatalf("an interrupted reply: %v, want exit %d\n%s%s", err, cli.ExitInterrupted, stdout.String(), stderr.String())
			}
			if want := tc.msg + "refuge-officer: hint: run the same command again to write it\n"; stderr.String() != want || stdout.Len() != 0 {
				t.Errorf("stdout %q, stderr %q; want stderr %q", stdout.String(), stderr.String(), want)
			}
			if left, _ := os.ReadDir(replies); len(left) != 0 {
				t.Errorf("the interrupted reply left %v in the outbox", left)
			}
			again := exec.Command(bin, args...)
			if out, err := again.CombinedOutput(); err != nil {
				t.Fatalf("the same command again: %v\n%s", err, out)
			}
			if left, _ := filepath.Glob(filepath.Join(replies, "reply-*.age")); len(left) != 1 {
				t.Errorf("after the run again, the outbox holds %v, want one reply", left)
			}
		})
	}

	// A reply larger than a server takes is refused at the desk, not by
	// the server once the courier carries it: exit 1, nothing written, no
	// folder left in the outbox (it used to leave replies/<id>/, empty).
	t.Run("too large", func(t *testing.T) {
		big := filepath.Join(dir, "video.bin")
		if err := os.WriteFile(big, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(big, maxReplySize); err != nil {
			t.Fatal(err)
		}
		outbox := t.TempDir()
		cmd := exec.Command(bin, "reply", "--unsigned", "--to", sub, "--message", "Received.", "-o", outbox, big)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 ||
			!strings.Contains(string(out), "the reply would be larger than the 256 MiB a server takes for one reply; nothing was written") {
			t.Fatalf("a reply past the limit: %v\n%s", err, out)
		}
		// Not even the folders the reply would have gone into: the
		// outbox was there, empty, and stays so.
		if left, _ := os.ReadDir(outbox); len(left) != 0 {
			t.Errorf("the refused reply left %v in the outbox", left)
		}
	})
}
