//go:build linux

// Package fswatch lets a test wait until a process it runs creates a file
// in a folder (inotify), instead of polling for it: the test starts the
// watch, starts the process, and waits for the name to appear.
//
// Only tests import it.
package fswatch

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitLimit bounds how long Created waits. It is not a synchronisation: a
// file not created by then is a failure, reported instead of hanging the
// test run.
const waitLimit = 60 * time.Second

// Watch reports the names created in one folder from the moment it
// started.
type Watch struct {
	t    testing.TB
	f    *os.File
	buf  []byte
	seen []string // the names created so far, in order
}

// Start watches dir for names created in it (files, folders, and names
// moved in). The watch ends with the test.
func Start(t testing.TB, dir string) *Watch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		t.Fatalf("inotify watch of %s: %v", dir, err)
	}
	w := &Watch{t: t, f: os.NewFile(uintptr(fd), "inotify"), buf: make([]byte, 64<<10)}
	t.Cleanup(func() { w.f.Close() })
	return w
}

// Created waits until the n-th name that begins with prefix (counted from
// Start) is created, and returns it.
func (w *Watch) Created(prefix string, n int) string {
	w.t.Helper()
	count := func(names []string) string {
		left := n
		for _, name := range names {
			if strings.HasPrefix(name, prefix) {
				if left--; left == 0 {
					return name
				}
			}
		}
		return ""
	}
	if name := count(w.seen); name != "" {
		return name
	}
	deadline := time.Now().Add(waitLimit)
	if err := w.f.SetReadDeadline(deadline); err != nil {
		w.t.Fatalf("inotify: %v", err)
	}
	for {
		k, err := w.f.Read(w.buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			w.t.Fatalf("not enough names beginning with %q were created in %v: %q", prefix, waitLimit, w.seen)
		}
		if err != nil {
			w.t.Fatalf("inotify: %v", err)
		}
		var names []string
		for off := 0; off+unix.SizeofInotifyEvent <= k; {
			// struct inotify_event: wd, mask, cookie, then len, the
			// length of the name that follows.
			n := int(binary.NativeEndian.Uint32(w.buf[off+12:]))
			raw := w.buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+n]
			off += unix.SizeofInotifyEvent + n
			names = append(names, strings.TrimRight(string(raw), "\x00"))
		}
		w.seen = append(w.seen, names...)
		if name := count(w.seen); name != "" {
			return name
		}
	}
}
