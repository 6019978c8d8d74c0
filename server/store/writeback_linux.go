package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing f[off:off+n] to disk
// now (sync_file_range SYNC_FILE_RANGE_WRITE), so that the fsync before a
// chunk's commit overlaps with receiving it instead of waiting for all of
// it at the end. Only a hint: an error shows up again at fsync.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// dropCached lets the kernel free the cached pages of f[0:n], which are
// on disk (fsynced). Only a hint: pages still dirty stay.
func dropCached(f *os.File, n int64) {
	_ = unix.Fadvise(int(f.Fd()), 0, n, unix.FADV_DONTNEED)
}
