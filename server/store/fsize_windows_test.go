package store_test

import "errors"

// fsizeWriter cannot limit a file's size on Windows (no RLIMIT_FSIZE):
// TestWriteFailsMidChunk needs Unix.
func fsizeWriter(dir string) error {
	return errors.New("no RLIMIT_FSIZE on Windows")
}
