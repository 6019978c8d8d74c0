package noreplace

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Rename renames oldpath (a file or a folder) to newpath, failing with an
// error that wraps fs.ErrExist if newpath exists, whatever it is (a file,
// a folder, a symbolic link, dangling or not), which is left as it was.
// On Linux it is atomic: renameat2 with RENAME_NOREPLACE. On a file system
// without it (some network and FUSE file systems) it falls back to a check
// then a rename, which a process creating newpath at the same moment
// could race, as on other systems.
func Rename(oldpath, newpath string) error {
	err := unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST), errors.Is(err, unix.ENOTEMPTY):
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrExist}
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return renameChecked(oldpath, newpath)
	}
	return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
}
