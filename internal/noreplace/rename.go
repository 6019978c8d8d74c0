package noreplace

import (
	"errors"
	"io/fs"
	"os"
)

// renameChecked renames oldpath to newpath after checking that newpath
// does not exist. Between the check and the rename another process may
// create newpath, which the rename then replaces (a file) or refuses (a
// folder that is not empty, on most systems): it is not atomic.
func renameChecked(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return fs.ErrExist
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(oldpath, newpath)
}
