package store

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func freeSpace(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("store: free space of the data directory: %w", err)
	}
	// f_bavail counts fragments where the file system has them (as
	// statvfs and df read it), else blocks.
	size := st.Frsize
	if size <= 0 {
		size = st.Bsize
	}
	return bytesOf(st.Bavail, uint64(size)), nil // #nosec G115 -- positive, checked above or a block size
}
