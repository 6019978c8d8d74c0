//go:build !windows

package noreplace

import (
	"fmt"
	"os"
)

// SyncDir fsyncs a directory so that a file created or renamed in it
// survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir) // #nosec G304 -- the directory of a file the caller just wrote
	if err != nil {
		return fmt.Errorf("cannot open directory to sync: %v", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync directory: %v", err)
	}
	return nil
}
