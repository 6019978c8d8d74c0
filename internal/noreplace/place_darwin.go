package noreplace

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// linkNoReplace puts the file tmp at name, failing with fs.ErrExist if
// name exists, whatever it is: renamex_np with RENAME_EXCL, atomic. On a
// file system without it, it falls back to linkThenUnlink.
func linkNoReplace(tmp, name string) error {
	err := unix.RenamexNp(tmp, name, unix.RENAME_EXCL)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return fs.ErrExist
	case errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return linkThenUnlink(tmp, name)
	}
	return &os.LinkError{Op: "rename", Old: tmp, New: name, Err: err}
}
