//go:build unix

package bundle

import (
	"errors"
	"syscall"
)

// isNotSyncable reports whether a Sync error only means that the file (a
// pipe, a terminal) cannot be synced.
func isNotSyncable(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EROFS)
}
