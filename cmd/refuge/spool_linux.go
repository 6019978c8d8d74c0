package main

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// reserve allocates size bytes of disk for f (fallocate): a disk that is
// too full fails here, at once, instead of part way through sealing; and
// the writes that follow need no block allocation on the way (the
// spool's writes took a tenth less CPU). A file system without fallocate
// is left to allocate as it writes.
func reserve(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return nil
	}
	return err
}

// punchHole frees n bytes of f at off, disk and page cache, keeping the
// file's size (the spool's offsets stay those of the bundle).
func punchHole(f *os.File, off, n int64) error {
	return unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
}
