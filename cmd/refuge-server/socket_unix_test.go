//go:build unix

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"refuge/client/clienttest"
)

// An onion service in front: the Tor daemon runs as its own user, which
// reaches the server's socket by being in its group (the socket is 0660
// and takes the group of its setgid folder), as docs/operating.md sets it
// up. A user outside the group cannot connect.
func TestUnixSocketGroup(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("the test connects as user 65534 and so must run as root")
	}
	const group = 64999 // the group the Tor daemon and the server share
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(run, 0, group); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(run, 0o750|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(run, "refuge.sock")
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	log := startServer(t, clienttest.BuildServer(t), "--data", srv.Dir, "--root-pub", srv.Keys.RootPub.String(), "--listen", "unix:"+sock)
	if !strings.Contains(log, "addr=unix:"+sock) {
		t.Fatalf("the server does not say it listens on the socket:\n%s", log)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o660 || st.Gid != group {
		t.Fatalf("socket mode %v, group %d; want 0660 and %d", fi.Mode().Perm(), st.Gid, group)
	}

	// The test binary, copied where user 65534 may run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := filepath.Join(dir, "dial")
	copyFile(t, self, helper, 0o755)
	dial := func(groups []uint32) string {
		t.Helper()
		cmd := exec.Command(helper)
		cmd.Env = append(os.Environ(), dialUnixEnv+"="+sock)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: groups}}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helper: %v", err)
		}
		return string(out)
	}
	if got := dial([]uint32{group}); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("a user in the socket's group: %q, want HTTP/1.1 200", got)
	}
	if got := dial([]uint32{}); !strings.Contains(got, "permission denied") {
		t.Fatalf("a user outside the socket's group: %q, want permission denied", got)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
