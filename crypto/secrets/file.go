package secrets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned by [WriteFile] when the file already exists.
var ErrExists = errors.New("file already exists")

// WriteFile creates name with O_EXCL and mode 0600, lets write fill it,
// then fsyncs the file and its directory. It never overwrites: if name
// exists the error wraps [ErrExists]. If write or a sync fails, the
// half-written file is removed.
func WriteFile(name string, write func(w io.Writer) error) (err error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- output named by the user; O_EXCL
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", filepath.Base(name), ErrExists)
	}
	if err != nil {
		return fmt.Errorf("cannot create file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()       // #nosec G104 -- cleanup after the error being returned
			os.Remove(name) // #nosec G104 -- idem
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot sync file: %v", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot close file: %v", err)
	}
	return SyncDir(filepath.Dir(name))
}
