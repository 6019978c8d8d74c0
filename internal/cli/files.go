package cli

import (
	"errors"
	"io/fs"
)

// Reason is the reason a file could not be used, without the operation
// and the path that an *fs.PathError puts before it ("open k.key: no such
// file or directory" becomes "no such file or directory"), for a message
// that names the file in its own words. Any other error is returned as it
// is.
func Reason(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
