package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// A command that fails, or keeps nothing, leaves the file system as it
// found it: a folder it made (refuge-officer's OUTDIR, the outbox, a
// submission's folder in it; refuge's state folder and its parents) is
// removed again when nothing was put in it. A folder that was there before
// stays, and one that holds anything stays with it.

// MadeDirs are the folders a command made, outermost first.
type MadeDirs []string

// MakeDirs makes the folder dir and any missing parents (mode 0700), as
// os.MkdirAll does, and returns the folders it made itself: one that
// appears meanwhile (another run making it) is not counted as made.
func MakeDirs(dir string) (MadeDirs, error) {
	var missing []string
	for p := filepath.Clean(dir); ; {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		missing = append(missing, p)
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	var made MadeDirs
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], 0o700)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			made.RemoveEmpty()
			return nil, err
		}
		if err == nil {
			made = append(made, missing[i])
		}
	}
	if fi, err := os.Stat(dir); err != nil {
		made.RemoveEmpty()
		return nil, err
	} else if !fi.IsDir() {
		return nil, &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
	}
	return made, nil
}

// RemoveEmpty removes the folders made that are still empty, innermost
// first, and stops at the first that is not: its parents hold it. It
// removes only folders (rmdir, which refuses one that holds anything),
// never a file put in a folder's place.
func (m MadeDirs) RemoveEmpty() {
	for i := len(m) - 1; i >= 0; i-- {
		if syscall.Rmdir(m[i]) != nil {
			return
		}
	}
}
