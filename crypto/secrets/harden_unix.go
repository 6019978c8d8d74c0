//go:build unix

package secrets

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// disableCoreDumps sets RLIMIT_CORE to 0 (hard and soft), and on Linux also
// marks the process not dumpable.
func disableCoreDumps() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return err
	}
	return notDumpable()
}

// probeMemlock locks and releases pages of fresh anonymous memory, the way
// memguard does for each buffer, so that a limit too low for memguard is
// reported as an error here rather than as a panic later.
func probeMemlock(pages int) error {
	b, err := unix.Mmap(-1, 0, pages*unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return fmt.Errorf("cannot allocate memory for secrets: %v", err)
	}
	defer unix.Munmap(b)
	if err := unix.Mlock(b); err != nil {
		return ErrMemlock
	}
	return unix.Munlock(b)
}
