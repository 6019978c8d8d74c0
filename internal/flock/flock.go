// Package flock takes advisory, exclusive locks on whole files, so that two
// processes of the same user never work on the same state at once.
//
// A lock belongs to the open file (not to the process or the path): it is
// released by closing the file, or by the process's end, however
// it ends (a SIGKILL or a power cut leaves no stale lock behind). Two opens
// of the same file in one process conflict as two processes do.
//
// Where the system has no such lock (neither unix nor windows), Lock and
// TryLock do nothing and return nil. Where the file system has none (an
// NFS mount without its lock daemon, some network shares), they return an
// error that wraps errors.ErrUnsupported: the caller decides whether to go
// on without.
package flock

import (
	"errors"
	"os"
)

// ErrLocked is returned by TryLock when another open file holds the lock.
var ErrLocked = errors.New("the file is locked by another process")

// unsupported wraps err, the file system's refusal to lock at all.
type unsupported struct{ err error }

func (u unsupported) Error() string   { return "file locks are not supported here: " + u.err.Error() }
func (u unsupported) Unwrap() []error { return []error{u.err, errors.ErrUnsupported} }

// Lock waits until f is locked exclusively.
func Lock(f *os.File) error { return lock(f, true) }

// TryLock locks f exclusively, or returns ErrLocked at once if another
// open file holds the lock.
func TryLock(f *os.File) error { return lock(f, false) }
