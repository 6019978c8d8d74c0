package store

import (
	"errors"
	"io/fs"
	"os"
)

// syncDir makes the entries of a directory (creations, renames, removals)
// durable. (On Windows, where a directory cannot be opened for flushing,
// it does nothing: see files_windows.go.)
func syncDir(dir string) error {
	if !canSyncDir {
		return nil
	}
	d, err := os.Open(dir) // #nosec G304 -- one of the store's own directories
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// setDay sets a file's access and modification times to the midnight
// (UTC) that starts day, so they say no more than the records do.
func setDay(path string, day Day) error {
	t := midnight(day)
	return os.Chtimes(path, t, t)
}

// removeFile removes path; a file that is already gone is no error.
func removeFile(path string) error {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
