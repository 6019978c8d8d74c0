//go:build !linux

package bundle

import (
	"io"
	"os"
)

// newReadBehind reads the file as it is where posix_fadvise is not called.
func newReadBehind(f *os.File) io.Reader { return f }
