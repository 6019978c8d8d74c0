//go:build !linux

package bundle

import (
	"io"
	"os"
)

// NewReadBehind reads the file as it is where posix_fadvise is not called.
func NewReadBehind(f *os.File) io.Reader { return f }
