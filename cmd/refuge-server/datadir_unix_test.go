//go:build unix

package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"refuge/client/clienttest"
	"refuge/internal/fstree"
	"refuge/server/store"
)

// TestAdminCommandsNotTheServersUser runs every token and publish command
// of the real binary as a user other than the server's (65534) on the
// server's data directory (0700): each says it cannot read the folder and
// to run as the server's user, exit 1, and nothing is made or changed.
func TestAdminCommandsNotTheServersUser(t *testing.T) {
	keys, dir, bin, mf, sf, data := asAnotherUser(t)
	want := "refuge-server: error: " + data + " cannot be read: permission denied; nothing was changed\n" +
		"refuge-server: hint: run the command as the server's user, which owns the data directory: sudo -u refuge refuge-server …\n"
	for _, args := range adminCommands(data, keys.RootPub.String(), mf, sf) {
		before := fstree.Snapshot(t, dir)
		cmd := exec.Command(bin, args...) // #nosec G204 -- the binary the test built
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		if rc := cmd.ProcessState.ExitCode(); rc != exitError || out.Len() != 0 || errb.String() != want {
			t.Errorf("%q as another user: exit %d, stdout %q, stderr\n%s\nwant\n%s", args, rc, out.String(), errb.String(), want)
		}
		if after := fstree.Snapshot(t, dir); after != before {
			t.Errorf("%q changed the folders:\n%s\nwas\n%s", args, after, before)
		}
	}
}

// TestBadDBNotReadable runs every token and publish command, and the
// server's start, of the real binary as the server's user (65534) on its
// data directory whose refuge.db that user cannot read (a copy made as
// root): each says so, with what to do, exit 1, and nothing is made or
// changed. Before, they said "store: open database: open …: permission
// denied".
func TestBadDBNotReadable(t *testing.T) {
	keys, dir, bin, mf, sf, data := asAnotherUser(t)
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() == store.DBName {
			return err // refuge.db stays root's, 0600
		}
		return os.Chown(path, 65534, 65534)
	})
	if err != nil {
		t.Fatal(err)
	}
	db := data + "/refuge.db"
	refused := "refuge-server: error: " + db + " cannot be read: permission denied; nothing was changed\n"
	chown := "refuge-server: hint: if it is that user already: the file belongs to another (a copy made as root?); give it back: chown refuge: " + db + "\n"
	admin := refused + "refuge-server: hint: run the command as the server's user, which owns the data directory: sudo -u refuge refuge-server …\n" + chown
	serve := refused + "refuge-server: hint: run refuge-server as the user that owns the data directory (refuge, in docs/operating.md, section 3)\n" + chown
	commands := adminCommands(data, keys.RootPub.String(), mf, sf)
	commands = append(commands, []string{"--data", data, "--root-pub", keys.RootPub.String(), "--listen", "127.0.0.1:0"})
	for i, args := range commands {
		want := admin
		if i == len(commands)-1 {
			want = serve
		}
		before := fstree.Snapshot(t, dir)
		// The deadline only ends a server that, wrongly, started.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, bin, args...) // #nosec G204 -- the binary the test built
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		cancel()
		if rc := cmd.ProcessState.ExitCode(); rc != exitError || out.Len() != 0 || errb.String() != want {
			t.Errorf("%q as the server's user: exit %d, stdout %q, stderr\n%s\nwant\n%s", args, rc, out.String(), errb.String(), want)
		}
		if after := fstree.Snapshot(t, dir); after != before {
			t.Errorf("%q changed the folders:\n%s\nwas\n%s", args, after, before)
		}
	}
}

// asAnotherUser prepares what a test that runs the real binary as user
// 65534 needs (and fails unless the test runs as root): a folder dir that
// user can enter, holding the binary, a key manifest and its signature
// that it can read, and the data directory data, made by the store as
// root (0700, root's).
func asAnotherUser(t *testing.T) (keys *clienttest.Keys, dir, bin, mf, sf, data string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Fatal("the test runs the commands as user 65534 and so must run as root")
	}
	keys = clienttest.NewKeys(t)
	dir = t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin = filepath.Join(dir, "refuge-server")
	copyFile(t, buildServer(t), bin, 0o755)
	mf, sf = writeManifest(t, keys, dir)
	for _, f := range []string{mf, sf} {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data = filepath.Join(dir, "refuge")
	makeDataDir(t, data)
	return keys, dir, bin, mf, sf, data
}
