//go:build !linux

package bundle

import "os"

// writeback is a plain file on systems without sync_file_range.
type writeback struct{ f *os.File }

func newWriteback(f *os.File) *writeback { return &writeback{f: f} }

func (w *writeback) Write(p []byte) (int, error) { return w.f.Write(p) }

// dropCached does nothing where posix_fadvise is not called.
func dropCached(*os.File) {}
