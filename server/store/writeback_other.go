//go:build !linux

package store

import "os"

// startWriteback does nothing where sync_file_range does not exist; the
// fsync before each commit writes everything.
func startWriteback(*os.File, int64, int64) {}

// dropCached does nothing where posix_fadvise is not called.
func dropCached(*os.File, int64) {}
