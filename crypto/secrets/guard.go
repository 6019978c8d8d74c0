package secrets

import (
	"errors"
	"fmt"

	"github.com/awnumar/memguard"
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
// process exits (it wipes every memguard buffer). It sets RLIMIT_CORE to 0
// and marks the process not dumpable (PR_SET_DUMPABLE), fails with
// [ErrMemlock] when memory cannot be locked, and refuses to continue if core
// dumps cannot be disabled. It sets the handler of Ctrl-C
// ([CatchInterrupt]), which wipes every memguard buffer before the process
// exits.
func Init() (purge func(), err error) {
	if err := disableCoreDumps(); err != nil {
		return nil, fmt.Errorf("cannot disable core dumps: %v", err)
	}
	if err := probeMemlock(probePages); err != nil {
		return nil, err
	}
	CatchInterrupt()
	return memguard.Purge, nil
}
