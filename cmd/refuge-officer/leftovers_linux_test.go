package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"refuge/crypto/bundle"
)

// The outbox writes of reply and of open's acknowledgements are made to
// fail as a full disk fails them, with a file size limit (prlimit
// --fsize, util-linux): the write of a file past the limit fails with
// EFBIG. Each must leave the outbox as it found it: one it made for the
// write is removed again, one that was there stays, with nothing added.

// limited returns the command bin args run with a file size limit of
// limit bytes.
func limited(t *testing.T, limit string, bin string, args ...string) *exec.Cmd {
	t.Helper()
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is needed: %v", err)
	}
	return exec.Command(prlimit, append([]string{"--fsize=" + limit, bin}, args...)...)
}

// openedSubmission makes an officer key and opens a submission sealed to
// it into dir/inbox, and returns the key, its passphrase file, the
// bundle and the submission's folder.
func openedSubmission(t *testing.T, bin, dir string) (key, pass, bundleFile, sub string) {
	t.Helper()
	key, pass, officer := officerKey(t, bin, dir)
	sender, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	var sealed bytes.Buffer
	c := bundle.Contents{SubmissionID: strings.Repeat("7c", 16), Kind: bundle.KindAnonymous,
		ReplyRecipient: sender.Recipient().String(), Note: []byte("a note")}
	if _, err := bundle.Seal(&sealed, []age.Recipient{officer}, c); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox")
	bundleFile = writeBundle(t, filepath.Join(dir, "in.age"), sealed.Bytes())
	if out, err := exec.Command(bin, "open", "-i", key, "--passphrase-file", pass, "-o", inbox, bundleFile).CombinedOutput(); err != nil {
		t.Fatalf("open: %v\n%s", err, out)
	}
	return key, pass, bundleFile, filepath.Join(inbox, c.SubmissionID)
}

// exitCode is the exit code of a finished command's error.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// listing lists the folder dir, every level, as relative paths.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel, _ := filepath.Rel(dir, path); rel != "." {
			names = append(names, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestReplyWriteFailedLeavesNothing: a reply whose write fails, into an
// outbox (and its parent) that do not exist yet or into one that does,
// exits 1 saying so with a hint, and leaves no folder made for it. It
// used to leave OUTBOX/replies/<submission id>/, empty.
func TestReplyWriteFailedLeavesNothing(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, sub := openedSubmission(t, bin, t.TempDir())
	for _, tc := range []struct{ name, outbox string }{
		{"new outbox", filepath.Join("usb", "outbox")},
		{"outbox there", "outbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			outbox := filepath.Join(dir, tc.outbox)
			if tc.outbox == "outbox" {
				if err := os.Mkdir(outbox, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			cmd := limited(t, "1024", bin, "reply", "--unsigned", "--to", sub, "--message", "Received.", "-o", outbox)
			out, err := cmd.CombinedOutput()
			if exitCode(err) != 1 || !strings.Contains(string(out), "file too large") ||
				!strings.Contains(string(out), "refuge-officer: hint: nothing was written in "+outbox+"\n") {
				t.Fatalf("a reply whose write fails: %v, want exit 1 and a hint\n%s", err, out)
			}
			want := []string(nil)
			if tc.outbox == "outbox" {
				want = []string{"outbox"}
			}
			if got := listing(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("the failed reply left %q, want %q", got, want)
			}
		})
	}
}

// TestAckWriteFailedLeavesNothing: open --ack-key of a bundle opened
// before, whose acknowledgement cannot be written into a new outbox,
// says so (exit 3) and leaves no outbox folder, and its report is not
// changed. It used to leave OUTBOX/acks/, empty.
func TestAckWriteFailedLeavesNothing(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, pass, bundleFile, sub := openedSubmission(t, bin, dir)
	ackKey := ackKeyFile(t, bin, dir, pass)
	report, err := os.ReadFile(filepath.Join(sub, reportName))
	if err != nil {
		t.Fatal(err)
	}
	usb := filepath.Join(dir, "usb")
	cmd := limited(t, "100", bin, "open", "-i", key, "--passphrase-file", pass, "-o", filepath.Dir(sub),
		"--ack-key", ackKey, "--outbox", filepath.Join(usb, "outbox"), bundleFile)
	out, err := cmd.CombinedOutput()
	if exitCode(err) != exitPartial || !strings.Contains(string(out), "opened before, but the acknowledgement was not written") {
		t.Fatalf("an acknowledgement whose write fails: %v, want exit %d\n%s", err, exitPartial, out)
	}
	if _, err := os.Lstat(usb); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed acknowledgement left %q", listing(t, dir))
	}
	if now, err := os.ReadFile(filepath.Join(sub, reportName)); err != nil || !bytes.Equal(now, report) {
		t.Errorf("the report changed (%v):\n%s", err, now)
	}
}

// TestOpenDiskFull: a bundle that OUTDIR has no room for (its write
// fails, here past a file size limit, as on a full disk) fails saying
// so, that nothing of it was kept, and what to do; no plaintext of it is
// left; open stops there, saying how many it opened and that the same
// command goes on, without trying the bundles after it (which used to
// fail in turn, or open out of order); and the same command, once there
// is room, opens it and the rest. It used to say only "cannot write
// entry: file too large".
func TestOpenDiskFull(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, pass, r := officerKey(t, bin, dir)
	bigMark, smallMark := []byte("large evidence, too large here"), []byte("small evidence")
	first, big, last := filepath.Join(dir, "first.age"), filepath.Join(dir, "big.age"), filepath.Join(dir, "last.age")
	firstID := sealFile(t, r, first, smallMark, 1<<10)
	bigID := sealFile(t, r, big, bigMark, 1<<20)
	lastID := sealFile(t, r, last, smallMark, 1<<10)
	inbox := filepath.Join(dir, "inbox")
	args := []string{"open", "-i", key, "--passphrase-file", pass, "-o", inbox, first, big, last}

	out, err := limited(t, "65536", bin, args...).CombinedOutput()
	msg := string(out)
	if exitCode(err) != exitPartial ||
		!strings.Contains(msg, "refuge-officer: error: "+big+": no room for it in "+inbox+" (") ||
		!strings.Contains(msg, "); nothing of it was kept\n") ||
		!strings.Contains(msg, "refuge-officer: error: stopped at "+big+", as "+inbox+" can take no more: opened 1 of 3 bundles; 1 of 3 bundles could not be opened or acknowledged; 1 more bundle not started\n") ||
		!strings.Contains(msg, "refuge-officer: hint: make room on the disk of "+inbox+" (the bundle is ") ||
		!strings.HasSuffix(msg, "refuge-officer: hint: run the same command again to go on: the bundles opened are skipped, not decrypted again\n") {
		t.Fatalf("open with no room for a bundle: %v, want exit %d saying so\n%s", err, exitPartial, msg)
	}
	if strings.Contains(msg, last) {
		t.Errorf("open went on to the bundle after the one with no room:\n%s", msg)
	}
	if got := listing(t, inbox); !sameSet(got, []string{firstID, filepath.Join(firstID, "files"),
		filepath.Join(firstID, "files", "evidence.bin"), filepath.Join(firstID, "manifest.json"), filepath.Join(firstID, reportName)}) {
		t.Errorf("OUTDIR holds %q, want the first submission only", got)
	}
	noPlaintext(t, inbox, bigMark)

	out, err = exec.Command(bin, args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "opened into "+filepath.Join(inbox, bigID)) ||
		!strings.Contains(string(out), "opened into "+filepath.Join(inbox, lastID)) {
		t.Fatalf("the same command with room: %v\n%s", err, out)
	}
}

// TestOpenReportFailed: a bundle opened whose report.txt cannot be
// written (past a file size limit that its note.txt, smaller, was not:
// as on a disk that fills up just then) fails saying where its files are
// and how to go on, since a later open refuses a folder without its
// report; open stops after it (the bundle after it is not started: it
// used to be tried, on a disk with no room); doing what the hints say
// opens it again, with its report, and the next. The message used to say
// only that report.txt could not be written, naming a temporary file.
func TestOpenReportFailed(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, pass, officer := officerKey(t, bin, dir)
	var sealed bytes.Buffer
	c := bundle.Contents{SubmissionID: strings.Repeat("5e", 16), Kind: bundle.KindAnonymous,
		Note: bytes.Repeat([]byte("n"), 8000)}
	if _, err := bundle.Seal(&sealed, []age.Recipient{officer}, c); err != nil {
		t.Fatal(err)
	}
	bundleFile := writeBundle(t, filepath.Join(dir, "in.age"), sealed.Bytes())
	next := filepath.Join(dir, "next.age")
	nextID := sealFile(t, officer, next, []byte("evidence"), 1<<10)
	inbox := filepath.Join(dir, "inbox")
	sub := filepath.Join(inbox, c.SubmissionID)
	args := []string{"open", "-i", key, "--passphrase-file", pass, "-o", inbox, bundleFile, next}

	out, err := limited(t, "8500", bin, args...).CombinedOutput()
	msg := string(out)
	if exitCode(err) != exitPartial ||
		!strings.Contains(msg, "refuge-officer: error: "+bundleFile+": opened into "+sub+", but cannot write "+filepath.Join(sub, reportName)+": file too large\n") ||
		!strings.Contains(msg, "refuge-officer: hint: its files are there, complete and verified, but without report.txt a later open refuses the folder: once there is room, move "+sub+" away and run the same command again") {
		t.Fatalf("open whose report cannot be written: %v, want exit %d saying what to do\n%s", err, exitPartial, msg)
	}
	if !strings.Contains(msg, "refuge-officer: error: stopped after "+bundleFile+", as "+inbox+" can take no more: opened 1 of 2 bundles; 1 of 2 bundles could not be opened or acknowledged; 1 more bundle not started\n") ||
		!strings.HasSuffix(msg, "refuge-officer: hint: run the same command again to go on: the bundles opened are skipped, not decrypted again\n") {
		t.Fatalf("open did not stop after the bundle whose report cannot be written:\n%s", msg)
	}
	if _, err := os.Lstat(filepath.Join(inbox, nextID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the bundle after it was opened (%v): want it not started", err)
	}
	if _, err := os.Lstat(filepath.Join(sub, reportName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("report.txt: %v, want none", err)
	}

	if err := os.Rename(sub, filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("the same command once the folder is moved away: %v\n%s", err, out)
	}
	for _, id := range []string{c.SubmissionID, nextID} {
		if _, err := os.Stat(filepath.Join(inbox, id, reportName)); err != nil {
			t.Fatalf("no report after the hints were followed: %v", err)
		}
	}
}

// TestOpenAckFailed: an outbox that cannot be made (a file where its
// folder goes) is refused before any bundle is opened, with what to do
// (the bundle used to be opened first, then its acknowledgement failed);
// doing it, the same command opens the bundle and writes its
// acknowledgement. A bundle opened before whose acknowledgement could not
// be written is acknowledged, and its report updated, by a later open
// (TestAckWriteFailedLeavesNothing, script open_again_ack).
func TestOpenAckFailed(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, pass, r := officerKey(t, bin, dir)
	ackKey := ackKeyFile(t, bin, dir, pass)
	bundleFile := filepath.Join(dir, "in.age")
	id := sealFile(t, r, bundleFile, []byte("evidence"), 1<<10)
	usb := filepath.Join(dir, "usb") // a file, not the stick's folder
	if err := os.WriteFile(usb, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	outbox := filepath.Join(usb, "outbox")
	args := []string{"open", "-i", key, "--passphrase-file", pass, "-o", filepath.Join(dir, "inbox"),
		"--ack-key", ackKey, "--outbox", outbox, bundleFile}

	out, err := exec.Command(bin, args...).CombinedOutput()
	msg := string(out)
	if exitCode(err) != exitError ||
		msg != "refuge-officer: error: --outbox "+outbox+" cannot be made: "+usb+" is a file, not a folder; nothing was opened\n"+
			"refuge-officer: hint: give --outbox the outbox folder (made if missing) on the courier's stick, such as --outbox /media/usb/outbox; then run the same command again\n" {
		t.Fatalf("open whose outbox cannot be made: %v, want exit %d saying what to do\n%s", err, exitError, msg)
	}
	if _, err := os.Lstat(filepath.Join(dir, "inbox")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OUTDIR: %v, want none", err)
	}

	if err := os.Remove(usb); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "opened into") {
		t.Fatalf("the same command once the outbox can be written: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(outbox, "acks", id+".json")); err != nil {
		t.Fatalf("no acknowledgement after the hint was followed: %v", err)
	}
}
