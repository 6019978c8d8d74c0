//go:build linux || darwin

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
	return bytesOf(st.Bavail, unitOf(&st)), nil
}
