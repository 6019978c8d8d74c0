package diskfree

import "golang.org/x/sys/unix"

// unitOf is the size of the units f_bavail counts: the block size.
func unitOf(st *unix.Statfs_t) uint64 { return uint64(st.Bsize) }
