package manifest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"refuge/internal/flock"
)

// lockDir takes an exclusive advisory lock on the state directory's lock
// file, so that two processes never interleave a read-modify-write of the
// state file (which could lower a recorded version).
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, SeenFileName+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open rollback state lock: %w", err)
	}
	// A file system without locks (an NFS mount without its lock
	// daemon) leaves the updates unserialised; each is still checked.
	if err := flock.Lock(f); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		f.Close()
		return nil, fmt.Errorf("cannot lock rollback state: %w", err)
	}
	return func() { f.Close() }, nil // closing releases the lock
}
