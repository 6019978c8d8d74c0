//go:build unix

package noreplace

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// linkThenUnlink puts the file tmp at name with link(2), which never
// replaces a name (an existing one gives fs.ErrExist), then removes tmp.
// A kill between the two leaves tmp as a second name of the complete
// file. On a file system without hard links (FAT) it falls back to
// placeholderRename.
func linkThenUnlink(tmp, name string) error {
	err := os.Link(tmp, name)
	switch {
	case err == nil:
		os.Remove(tmp) // #nosec G104 -- the file is in place; a temporary left is a second name of it
		return nil
	case errors.Is(err, fs.ErrExist):
		return fs.ErrExist
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		return placeholderRename(tmp, name)
	}
	return err
}

// placeholderRename takes name with an empty file created exclusively
// (an existing name gives fs.ErrExist), then renames tmp over that
// placeholder, its own: it never replaces a file it did not create. A
// kill between the two leaves the empty placeholder at name, which no
// command takes for a key or a document (and which a new write refuses,
// as any existing file).
func placeholderRename(tmp, name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the name the user gave; O_EXCL
	if err != nil {
		return err
	}
	f.Close() // #nosec G104 -- empty, written by no one
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(name) // #nosec G104 -- the empty placeholder made above
		return err
	}
	return nil
}
