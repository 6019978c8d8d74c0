package bundle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// CollectFiles turns paths given on a command line into Files for Seal. A
// regular file becomes files/<its base name>; a directory is walked and each
// regular file under it becomes files/<directory base name>/<relative path>,
// with forward slashes. Empty directories are skipped. Symbolic links, devices
// and other special files are refused, as are names Open would refuse and
// duplicate names (compared ignoring case and Unicode normalization). Each
// File opens its path lazily and Seal checks that the size did not change.
func CollectFiles(paths []string) ([]File, error) {
	var files []File
	names := newNameSet()
	seen := map[string]string{} // folded bundle name → local path
	add := func(local, rel string, fi fs.FileInfo) error {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("cannot seal %s: %s", local, fileKind(fi.Mode()))
		}
		if err := checkFileName(rel); err != nil {
			return fmt.Errorf("cannot seal %s: %v (rename it)", local, err)
		}
		if err := names.add(filesPrefix + rel); err != nil {
			if prev, ok := seen[foldName(rel)]; ok {
				return fmt.Errorf("cannot seal %s: same name inside the bundle as %s (names are compared ignoring case and Unicode normalization)", local, prev)
			}
			return fmt.Errorf("cannot seal %s: %v", local, err)
		}
		seen[foldName(rel)] = local
		files = append(files, File{Name: rel, Size: fi.Size(), Open: openRegular(local)})
		return nil
	}
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, fmt.Errorf("cannot seal %s: %w", p, withoutPath(err))
		}
		base, err := baseName(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if err := add(p, base, fi); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(local string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("cannot seal %s: %w", local, withoutPath(err))
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(p, local)
			if err != nil {
				return fmt.Errorf("cannot seal %s: %w", local, err)
			}
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("cannot seal %s: %w", local, withoutPath(err))
			}
			return add(local, base+"/"+filepath.ToSlash(rel), info)
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// baseName is the name a command-line path gets at the top of files/.
func baseName(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("cannot seal %s: %w", p, err)
	}
	b := filepath.Base(abs)
	if b == string(filepath.Separator) || b == "." || b == "" {
		return "", fmt.Errorf("cannot seal %s: give a folder below the file system root", p)
	}
	return b, nil
}

// withoutPath drops the "lstat X: " that an *fs.PathError puts before its
// cause, when the message names X already; errors.Is still sees the cause.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "it is a symbolic link; give the file it points to instead"
	case m&fs.ModeDevice != 0:
		return "it is a device"
	case m&fs.ModeNamedPipe != 0:
		return "it is a named pipe"
	case m&fs.ModeSocket != 0:
		return "it is a socket"
	}
	return "it is not a regular file"
}

// openRegular opens path and checks that it is (still) a regular file,
// without following a symbolic link swapped in after CollectFiles.
func openRegular(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		f, err := openNoFollow(path)
		if err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			f.Close()
			return nil, errors.New("no longer a regular file")
		}
		return f, nil
	}
}
