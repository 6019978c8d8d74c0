package diskfree

import "golang.org/x/sys/unix"

// unitOf is the size of the units f_bavail counts: fragments where the
// file system has them (as statvfs and df read it), else blocks.
func unitOf(st *unix.Statfs_t) uint64 {
	if st.Frsize > 0 {
		return uint64(st.Frsize) // #nosec G115 -- positive, checked above
	}
	return uint64(max(st.Bsize, 0)) // #nosec G115 -- not negative
}
