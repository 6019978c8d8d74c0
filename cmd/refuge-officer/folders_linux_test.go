package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"refuge/internal/cli/clitest"
	"strings"
	"syscall"
	"testing"
)

// TestOpenFoldersCheckedFirst: run as an account (65534) that may not
// write into a folder (root's, mode 0755), open refuses an -o there (to
// be made in it, or that folder itself) and an --outbox there before it
// reads the passphrase or opens a bundle: exit 1, which folder and why,
// a hint, nothing on standard output, nothing made. Each used to be
// found only after the keys were unlocked: every bundle then failed in
// turn (exit 3), or was opened and decrypted before its acknowledgement
// failed. With folders it may write to, the same account opens the
// bundle.
func TestOpenFoldersCheckedFirst(t *testing.T) {
	t.Parallel()
	setupBin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	dir, bin := clitest.BuildForUser65534(t, "refuge-officer")
	work := filepath.Join(dir, "work") // the account's own
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	key, pass, r := officerKey(t, setupBin, work)
	ackKey := ackKeyFile(t, setupBin, work, pass)
	bundleFile := filepath.Join(work, "in.age")
	id := sealFile(t, r, bundleFile, []byte("evidence"), 1<<10)
	for _, name := range []string{work, key, pass, ackKey, bundleFile} {
		if err := os.Chown(name, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	locked := filepath.Join(dir, "locked") // root's: the account may look, not write
	if err := os.Mkdir(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(work, "inbox")
	nobody := func(args ...string) (stdout, stderr string, code int) {
		cmd := exec.Command(bin, append([]string{"open", "-i", key, "--passphrase-file", pass}, args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		return o.String(), e.String(), exitCode(err)
	}

	const outHint = "refuge-officer: hint: give an -o folder this account may write to, such as -o inbox in your home folder; then run the same command again\n"
	for _, tc := range []struct{ name, want string }{
		{filepath.Join(locked, "inbox"), "refuge-officer: error: -o " + filepath.Join(locked, "inbox") + " cannot be written: this account may not write into " + locked + "; nothing was opened\n" + outHint},
		{locked, "refuge-officer: error: -o " + locked + " cannot be written: this account may not write into " + locked + "; nothing was opened\n" + outHint},
	} {
		stdout, stderr, code := nobody("-o", tc.name, bundleFile)
		if code != exitError || stderr != tc.want || stdout != "" {
			t.Errorf("open -o %s as an account that may not write there: exit %d, want %d\nstdout:\n%s\nstderr:\n%s\nwant:\n%s", tc.name, code, exitError, stdout, stderr, tc.want)
		}
	}
	outbox := filepath.Join(locked, "outbox")
	stdout, stderr, code := nobody("-o", inbox, "--ack-key", ackKey, "--outbox", outbox, bundleFile)
	want := "refuge-officer: error: --outbox " + outbox + " cannot be written: this account may not write into " + locked + "; nothing was opened\n" +
		"refuge-officer: hint: give an --outbox this account may write to (a stick mounted for another account: mount it for this one); then run the same command again\n"
	if code != exitError || stderr != want || stdout != "" {
		t.Errorf("open --outbox %s as an account that may not write there: exit %d, want %d\nstdout:\n%s\nstderr:\n%s\nwant:\n%s", outbox, code, exitError, stdout, stderr, want)
	}
	if got := listing(t, locked); len(got) != 0 {
		t.Errorf("%s holds %q, want nothing", locked, got)
	}
	if _, err := os.Lstat(inbox); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-o %s: %v, want none made", inbox, err)
	}

	outbox = filepath.Join(work, "outbox")
	stdout, stderr, code = nobody("-o", inbox, "--ack-key", ackKey, "--outbox", outbox, bundleFile)
	if code != exitOK || !strings.Contains(stdout, "opened into "+filepath.Join(inbox, id)) {
		t.Fatalf("open as the same account into its own folders: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(outbox, "acks", id+".json")); err != nil {
		t.Fatal(err)
	}
}
