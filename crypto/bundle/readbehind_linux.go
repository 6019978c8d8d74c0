package bundle

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// readBehind reads a bundle file once, from start to end, and lets what it
// has read leave the page cache, 8 MiB at a time and the rest at the end:
// the pages freed serve open's own writes (see writeback). An officer
// opening a 1 GiB bundle not yet in the cache (carried in on removable
// media), with a light key, on the shared VM of docs/BENCHMARKS.md: 2.42
// -> 1.76 s, medians of five alternated; stock age -d | tar x took 2.18.
type readBehind struct {
	f       *os.File
	off     int64 // bytes read
	dropped int64 // bytes let go from the page cache
}

// NewReadBehind returns a reader of f, to be read once from start to end,
// that lets what it has read leave the page cache as it goes.
func NewReadBehind(f *os.File) io.Reader {
	// Only hints, like every fadvise here.
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_SEQUENTIAL)
	return &readBehind{f: f}
}

func (r *readBehind) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.off += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		_ = unix.Fadvise(int(r.f.Fd()), r.dropped, 0, unix.FADV_DONTNEED)
		r.dropped = r.off
	case r.off-r.dropped >= 2*writebackEvery:
		// Up to a multiple of 8 MiB: the kernel keeps a large folio
		// that a range covers only in part, and the next range would
		// cover it only in part too.
		end := r.off &^ (writebackEvery - 1)
		_ = unix.Fadvise(int(r.f.Fd()), r.dropped, end-r.dropped, unix.FADV_DONTNEED)
		r.dropped = end
	}
	return n, err
}
