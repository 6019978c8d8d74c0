package noreplace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned by [WriteFile] and [WriteNew] when the file
// already exists.
var ErrExists = errors.New("file already exists")

// PartialPrefix begins the name of the temporary file that [WriteFile]
// and [WriteNew] fill before they put it in place. A file of that name
// is what a kill or a power loss during a write left (mode 0600 for a
// secret, and never where the file was to be): not the file itself,
// which no command reads, and safe to delete.
const PartialPrefix = ".refuge-partial-"

// WriteFile writes the file name, with mode 0600 (a secret, a ticket),
// from what write writes. It never overwrites: if name exists the error wraps
// [ErrExists]. The file appears at name only complete and durable: write
// fills a temporary file in the same folder (see [PartialPrefix]), which
// is fsynced, then put at name without replacing a file that appeared
// there meanwhile, and the folder is fsynced. After any failure nothing
// is at name and the temporary file is removed.
func WriteFile(name string, write func(w io.Writer) error) error {
	return WriteNew(context.Background(), name, 0o600, write)
}

// WriteNew is [WriteFile] for a file of mode perm that stops when ctx
// ends: from then on the writer given to write fails, and the file is
// not put in place; the temporary file is removed and the error is
// ctx's cause ([context.Cause]), the signal for a context of
// crypto/secrets.Interruptible. A ctx that ends after the file is in
// place changes nothing. Work that does not write (a key derivation) is not cut short:
// the writer fails at its next write.
func WriteNew(ctx context.Context, name string, perm fs.FileMode, write func(w io.Writer) error) (err error) {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if _, err := os.Lstat(name); err == nil {
		return existsError(name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot create file: %w", err)
	}
	dir := filepath.Dir(name)
	f, err := createPartial(dir, perm)
	if err != nil {
		return fmt.Errorf("cannot create file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()           // #nosec G104 -- cleanup after the error being returned
			os.Remove(f.Name()) // #nosec G104 -- idem; gone already once in place
			if cause := context.Cause(ctx); cause != nil {
				err = cause
			}
		}
	}()
	if err := write(stopWriter{ctx, f}); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot sync file: %v", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot close file: %v", err)
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if err := linkNoReplace(f.Name(), name); errors.Is(err, fs.ErrExist) {
		return existsError(name)
	} else if err != nil {
		return fmt.Errorf("cannot put the file in place: %v", err)
	}
	if err := SyncDir(dir); err != nil {
		os.Remove(name) // #nosec G104 -- it is ours, and not durably there: the error says it was not written
		return err
	}
	return nil
}

func existsError(name string) error {
	return fmt.Errorf("%s: %w", filepath.Base(name), ErrExists)
}

// createPartial creates a new file in dir named PartialPrefix and 16
// random hex digits (a name no one can guess to put something there
// first), exclusively, with mode perm.
func createPartial(dir string, perm fs.FileMode) (*os.File, error) {
	for range 3 {
		var b [8]byte
		rand.Read(b[:]) // never fails (crypto/rand)
		name := filepath.Join(dir, PartialPrefix+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm) // #nosec G304 -- a new name in the folder the user named; O_EXCL
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, errors.New("no free temporary name")
}

// StopWriter returns a writer to w that fails with ctx's cause
// ([context.Cause]) once ctx has ended: the writer [WriteNew] gives its
// write function, for output that goes elsewhere (a bundle sealed under
// crypto/secrets.Interruptible).
func StopWriter(ctx context.Context, w io.Writer) io.Writer { return stopWriter{ctx, w} }

// stopWriter writes to w until ctx ends, then fails with its cause.
type stopWriter struct {
	ctx context.Context
	w   io.Writer
}

func (s stopWriter) Write(p []byte) (int, error) {
	if err := context.Cause(s.ctx); err != nil {
		return 0, err
	}
	return s.w.Write(p)
}
