package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"refuge/client/clienttest"
	"refuge/crypto/signing"
	"refuge/server/store"
)

// TestAdminSocketNeverOpen: the admin socket is never, not for a moment,
// at its path with more than 0600. It was made there with the umask's
// permissions and chmodded after; now it is made in a fresh 0700 folder,
// chmodded there and renamed into place. inotify sees every step: the test
// runs with umask 0, in a data folder others may enter, and fails if a
// socket is created in it rather than renamed into it.
func TestAdminSocketNeverOpen(t *testing.T) {
	data := t.TempDir()
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	root, err := signing.ParsePublicKey(clienttest.NewKeys(t).RootPub.String())
	if err != nil {
		t.Fatal(err)
	}

	in, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(in)
	if _, err := syscall.InotifyAddWatch(in, data, syscall.IN_CREATE|syscall.IN_MOVED_TO|syscall.IN_ATTRIB); err != nil {
		t.Fatal(err)
	}
	// No other test runs meanwhile (this one is not parallel); the umask
	// is restored before any does.
	old := syscall.Umask(0)
	ctx, cancel := context.WithCancel(context.Background())
	err = listenAdmin(ctx, data, st, root, slog.New(slog.NewTextHandler(io.Discard, nil)))
	syscall.Umask(old)
	defer cancel()
	if err != nil {
		t.Fatal(err)
	}

	// The kernel queued every event during listenAdmin.
	buf := make([]byte, 64<<10)
	n, err := syscall.Read(in, buf)
	if err != nil && !errors.Is(err, syscall.EAGAIN) {
		t.Fatal(err)
	}
	movedIn := false
	for b := buf[:max(n, 0)]; len(b) >= syscall.SizeofInotifyEvent; {
		mask := binary.NativeEndian.Uint32(b[4:8])
		nameLen := int(binary.NativeEndian.Uint32(b[12:16]))
		name := string(bytes.TrimRight(b[syscall.SizeofInotifyEvent:syscall.SizeofInotifyEvent+nameLen], "\x00"))
		b = b[syscall.SizeofInotifyEvent+nameLen:]
		switch {
		case mask&syscall.IN_CREATE != 0 && mask&syscall.IN_ISDIR == 0:
			t.Errorf("%s was created in the data folder, with the umask's permissions until a chmod", name)
		case mask&syscall.IN_CREATE != 0:
			if _, err := os.Stat(filepath.Join(data, name)); err == nil {
				t.Errorf("the folder %s the socket was made in is left behind", name)
			}
		case mask&syscall.IN_MOVED_TO != 0 && name == adminSocketName:
			movedIn = true
		}
	}
	if !movedIn {
		t.Error("the admin socket was not renamed into the data folder")
	}
	fi, err := os.Lstat(adminSocket(data))
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v, %v; want a socket, 0600", fi, err)
	}
	// It answers at its new path.
	if res, err := callAdmin(data, "/token", tokenRequest{Op: "list"}); err != nil || res.Error != "" || !strings.Contains(res.Out, "NAME") {
		t.Fatalf("token list over the renamed socket: %+v, %v", res, err)
	}
}

// TestAdminSocketLongestPath: a data folder whose admin.sock path is as
// long as a socket's path may be (107 bytes on Linux) gets its admin
// socket; the folder it is made in is no longer than admin.sock. Folders
// that a killed server left are removed first; another folder, and a
// socket folder holding anything but a socket, are kept.
func TestAdminSocketLongestPath(t *testing.T) {
	base := t.TempDir()
	const limit = len(syscall.RawSockaddrUnix{}.Path) - 1 // one byte for the NUL
	pad := limit - len(base) - len("/admin.sock") - 1
	if pad < 1 {
		t.Fatalf("temporary folder %s too long for this test", base)
	}
	data := filepath.Join(base, strings.Repeat("d", pad))
	if n := len(adminSocket(data)); n != limit {
		t.Fatalf("socket path is %d bytes, want %d", n, limit)
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	root, err := signing.ParsePublicKey(clienttest.NewKeys(t).RootPub.String())
	if err != nil {
		t.Fatal(err)
	}
	// What a kill between the folder's making and its removal leaves: an
	// empty folder, or one with the socket, of this version's form or the
	// earlier ".adminNNN" one. And what must stay.
	stale := []string{".a0f3c9e", ".admin123456"}
	for _, d := range stale {
		if err := os.Mkdir(filepath.Join(data, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("unix", filepath.Join(data, ".a0f3c9e", "s"))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	kept := []string{".a0f3c", ".adminx", ".a0F3C9E", "a0f3c9e", ".a123456"}
	for _, d := range kept {
		if err := os.Mkdir(filepath.Join(data, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(data, ".a123456", "s"), []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := listenAdmin(ctx, data, st, root, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("admin socket at %d bytes: %v", limit, err)
	}
	if res, err := callAdmin(data, "/token", tokenRequest{Op: "list"}); err != nil || res.Error != "" {
		t.Fatalf("token list: %+v, %v", res, err)
	}
	for _, d := range stale {
		if _, err := os.Lstat(filepath.Join(data, d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale folder %s: %v, want it gone", d, err)
		}
	}
	for _, d := range kept {
		if _, err := os.Lstat(filepath.Join(data, d)); err != nil {
			t.Errorf("folder %s: %v, want it kept", d, err)
		}
	}
}
