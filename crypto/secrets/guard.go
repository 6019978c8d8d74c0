package secrets

import (
	"errors"
	"fmt"

	"github.com/awnumar/memguard"
	"golang.org/x/sys/unix"
)

// ErrMemlock is returned by [Init] when the process may not lock enough
// memory to hold its secrets.
var ErrMemlock = errors.New("cannot lock memory for secrets: raise the memlock limit (ulimit -l)")

// probePages is how much memory Init tries to lock: more than the officer
// tool holds at once (a passphrase, one decrypted identity file and
// memguard's own key, each rounded up to pages plus guard pages).
const probePages = 16

// Init prepares the process to hold secrets. It must run before any other
// function of this package, and the returned function must run before the
// process exits (it wipes every memguard buffer). It fails with [ErrMemlock]
// when memory cannot be locked, and refuses to continue if core dumps cannot
// be disabled.
func Init() (purge func(), err error) {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return nil, fmt.Errorf("cannot disable core dumps: %v", err)
	}
	if err := probeMemlock(probePages * unix.Getpagesize()); err != nil {
		return nil, err
	}
	memguard.CatchInterrupt()
	return memguard.Purge, nil
}

// probeMemlock locks and releases n bytes of fresh anonymous memory, the way
// memguard does for each buffer, so that a limit too low for memguard is
// reported as an error here rather than as a panic later.
func probeMemlock(n int) error {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return fmt.Errorf("cannot allocate memory for secrets: %v", err)
	}
	defer unix.Munmap(b)
	if err := unix.Mlock(b); err != nil {
		return ErrMemlock
	}
	return unix.Munlock(b)
}
