// Package diskfree tells how many bytes a folder's file system still
// gives to an unprivileged process, for refuge-server's floor of free
// space and for refuge courier pull, which checks that what it is about
// to download fits.
package diskfree

import "math"

// Available reports the bytes the file system of dir still gives to an
// unprivileged process (statfs f_bavail on Linux and macOS; on Windows,
// the free bytes available to the caller). known is false where this
// program cannot tell (other systems): the caller then skips its check.
func Available(dir string) (n int64, known bool, err error) {
	return available(dir)
}

// bytesOf multiplies a count of blocks by the block size, saturating at
// the largest int64.
func bytesOf(blocks, size uint64) int64 {
	if size != 0 && blocks > math.MaxInt64/size {
		return math.MaxInt64
	}
	return int64(blocks * size) // #nosec G115 -- at most MaxInt64, checked above
}
