package bundle

import (
	"errors"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// readBehind reads a bundle file once, from start to end, and lets what it
// has read leave the page cache, 8 MiB at a time and the rest at the end:
// the pages freed serve open's own writes (see writeback). An officer
// opening a 1 GiB bundle not yet in the cache (carried in on removable
// media), with a light key, on the shared VM of docs/BENCHMARKS.md: 2.42
// -> 1.76 s, medians of five alternated; stock age -d | tar x took 2.18.
//
// It reaches the file descriptor through f.SyscallConn, never f.Fd: Fd
// would put a pipe into blocking mode, where closing f (how a caller
// stops a read that waits, at Ctrl-C) no longer ends a Read, and a Close
// from another goroutine could free the descriptor, and let it be reused,
// between Fd and the call.
type readBehind struct {
	f       *os.File
	raw     syscall.RawConn // nil: f gives none, no hints
	off     int64           // bytes read
	dropped int64           // bytes let go from the page cache
}

// NewReadBehind returns a reader of f, to be read once from start to end,
// that lets what it has read leave the page cache as it goes. Closing f
// from another goroutine ends a Read that waits for a pipe's writer.
func NewReadBehind(f *os.File) io.Reader {
	r := &readBehind{f: f}
	r.raw, _ = f.SyscallConn()
	r.fadvise(0, 0, unix.FADV_SEQUENTIAL)
	return r
}

// fadvise gives the kernel a hint about f; only hints, like every fadvise
// here: an error (f closed meanwhile) is ignored.
func (r *readBehind) fadvise(off, n int64, advice int) {
	if r.raw != nil {
		_ = r.raw.Control(func(fd uintptr) { _ = unix.Fadvise(int(fd), off, n, advice) })
	}
}

func (r *readBehind) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.off += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		r.fadvise(r.dropped, 0, unix.FADV_DONTNEED)
		r.dropped = r.off
	case r.off-r.dropped >= 2*writebackEvery:
		// Up to a multiple of 8 MiB: the kernel keeps a large folio
		// that a range covers only in part, and the next range would
		// cover it only in part too.
		end := r.off &^ (writebackEvery - 1)
		r.fadvise(r.dropped, end-r.dropped, unix.FADV_DONTNEED)
		r.dropped = end
	}
	return n, err
}
