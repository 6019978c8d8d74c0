package bundle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/term"

	"refuge/internal/noreplace"
)

// Output is where a command writes a bundle: a temporary file next to the
// destination that becomes the destination only on Commit, or standard
// output for "-". After a failure, Abort leaves no partial file behind.
type Output struct {
	f     *os.File
	w     io.Writer // f, through early writeback for a temporary file
	tmp   string    // temporary path, "" for standard output
	final string
	done  bool
}

// CreateOutput prepares to write to path, or to stdout when path is "-".
// It refuses stdout when stdout is a terminal (a bundle is binary), and
// refuses a path that already exists (an earlier bundle is never
// overwritten). The temporary file is created with mode 0600 in the same
// directory as path.
func CreateOutput(path string, stdout *os.File) (*Output, error) {
	if path == "-" {
		if term.IsTerminal(int(stdout.Fd())) {
			return nil, errors.New("refusing to write a binary bundle to a terminal; use -o FILE or redirect the output")
		}
		return &Output{f: stdout, w: stdout}, nil
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("cannot write %s: it already exists", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".refuge-tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	return &Output{f: f, w: newWriteback(f), tmp: f.Name(), final: path}, nil
}

// Write writes to the temporary file or standard output.
func (o *Output) Write(p []byte) (int, error) { return o.w.Write(p) }

// Commit makes the output final: it syncs the temporary file, lets its
// pages leave the page cache (writeback_linux.go), closes it and
// renames it to the destination (refusing to replace a file that appeared
// meanwhile), then syncs the directory. For standard output it syncs when
// possible and does not close it.
func (o *Output) Commit() error {
	if o.done {
		return errors.New("output already finished")
	}
	o.done = true
	if o.tmp == "" {
		if err := o.f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) && !isNotSyncable(err) {
			return fmt.Errorf("cannot write output: %w", err)
		}
		return nil
	}
	err := o.f.Sync()
	if err == nil {
		dropCached(o.f)
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = noreplace.Rename(o.tmp, o.final)
	}
	if err != nil {
		os.Remove(o.tmp)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("cannot write %s: it already exists", o.final)
		}
		return fmt.Errorf("cannot write %s: %w", o.final, err)
	}
	return noreplace.SyncDir(filepath.Dir(o.final))
}

// Abort discards the output: the temporary file is removed. It does nothing
// after Commit, so it can be deferred.
func (o *Output) Abort() {
	if o.done {
		return
	}
	o.done = true
	if o.tmp != "" {
		o.f.Close()
		os.Remove(o.tmp)
	}
}
