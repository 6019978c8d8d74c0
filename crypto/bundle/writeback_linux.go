package bundle

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackEvery is how many bytes a file accumulates before the kernel is
// asked to start writing them to disk, so that the final sync overlaps with
// encryption or decryption instead of waiting for all the data at the end.
const writebackEvery = 8 << 20

// writeback wraps a staged or output file and starts asynchronous writeback
// (sync_file_range SYNC_FILE_RANGE_WRITE) of each full 8 MiB range.
type writeback struct {
	f       *os.File
	off     int64 // bytes written
	started int64 // bytes handed to writeback
}

func newWriteback(f *os.File) *writeback { return &writeback{f: f} }

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= writebackEvery {
		// Only a hint: an error here shows up again at sync time.
		unix.SyncFileRange(int(w.f.Fd()), w.started, w.off-w.started, unix.SYNC_FILE_RANGE_WRITE)
		w.started = w.off
	}
	return n, err
}
