package store

import (
	"fmt"

	"golang.org/x/sys/windows"
)

func freeSpace(dir string) (int64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, fmt.Errorf("store: free space of the data directory: %w", err)
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, fmt.Errorf("store: free space of the data directory: %w", err)
	}
	return bytesOf(avail, 1), nil
}
