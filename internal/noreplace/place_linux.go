package noreplace

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// linkNoReplace puts the file tmp at name, failing with fs.ErrExist if
// name exists, whatever it is: renameat2 with RENAME_NOREPLACE, atomic.
// On a file system without it (some network and FUSE file systems) it
// falls back to linkThenUnlink.
func linkNoReplace(tmp, name string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, name, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return fs.ErrExist
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return linkThenUnlink(tmp, name)
	}
	return &os.LinkError{Op: "rename", Old: tmp, New: name, Err: err}
}
