package store

import (
	"context"
	"math"
)

// FreeSpace reports the bytes the data directory's file system still gives
// to an unprivileged process (statfs f_bavail; on Windows, the free bytes
// available to the caller). The server keeps a floor of it for its records
// (Config.MinFreeBytes).
func (s *BoltStore) FreeSpace(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return freeSpace(s.dir)
}

// bytesOf multiplies a count of blocks by the block size, saturating at
// the largest int64.
func bytesOf(blocks, size uint64) int64 {
	if size != 0 && blocks > math.MaxInt64/size {
		return math.MaxInt64
	}
	return int64(blocks * size) // #nosec G115 -- at most MaxInt64, checked above
}
