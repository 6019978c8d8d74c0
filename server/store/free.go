package store

import (
	"context"
	"fmt"
	"math"

	"refuge/internal/diskfree"
)

// FreeSpace reports the bytes the data directory's file system still gives
// to an unprivileged process (statfs f_bavail; on Windows, the free bytes
// available to the caller). The server keeps a floor of it for its records
// (Config.MinFreeBytes). Where it cannot be told, it is the largest int64:
// no floor is kept.
func (s *BoltStore) FreeSpace(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return freeSpace(s.dir)
}

func freeSpace(dir string) (int64, error) {
	n, known, err := diskfree.Available(dir)
	if err != nil {
		return 0, fmt.Errorf("store: free space of the data directory: %w", err)
	}
	if !known {
		return math.MaxInt64, nil
	}
	return n, nil
}
