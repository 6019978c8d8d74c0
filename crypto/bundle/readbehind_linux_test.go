package bundle

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReadBehindCloseEndsRead: a Read of a pipe through NewReadBehind that
// waits for the writer ends when another goroutine closes the file, which
// is how the officer tool stops reading a bundle at Ctrl-C. Before,
// NewReadBehind took the descriptor with f.Fd, which turned the pipe into
// a blocking one (the check of O_NONBLOCK below): a Read that had begun
// to wait went on waiting after the Close, until the writer wrote or went
// away.
func TestReadBehindCloseEndsRead(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close() // ends a Read still waiting, once the test has failed
	rb := NewReadBehind(r)
	raw, err := r.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	var ferr error
	if err := raw.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil || ferr != nil {
		t.Fatal(err, ferr)
	}
	if flags&unix.O_NONBLOCK == 0 {
		t.Fatal("NewReadBehind put the pipe into blocking mode: closing it would not end a Read")
	}
	if _, err := w.Write([]byte("age")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := rb.Read(buf); n != 3 || err != nil {
		t.Fatalf("Read = %d, %v; want the 3 bytes written", n, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := rb.Read(buf) // waits: the pipe is empty
		done <- err
	}()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close = %v, want os.ErrClosed", err)
		}
	case <-time.After(30 * time.Second): // a bound, not a synchronisation
		t.Fatal("the Read still waits after the file was closed")
	}
}
