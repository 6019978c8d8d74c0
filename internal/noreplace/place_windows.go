package noreplace

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// linkNoReplace puts the file tmp at name, failing with fs.ErrExist if
// name exists: MoveFileEx without MOVEFILE_REPLACE_EXISTING, which
// refuses an existing name, atomic on the same volume, and with
// MOVEFILE_WRITE_THROUGH, done on disk before it returns (a folder
// cannot be fsynced on Windows).
func linkNoReplace(tmp, name string) error {
	from, err := windows.UTF16PtrFromString(tmp)
	if err != nil {
		return err
	}
	to, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return err
	}
	err = windows.MoveFileEx(from, to, windows.MOVEFILE_WRITE_THROUGH)
	if errors.Is(err, fs.ErrExist) {
		return fs.ErrExist
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: tmp, New: name, Err: err}
	}
	return nil
}
