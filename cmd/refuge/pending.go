package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"refuge/internal/cli"
	"refuge/internal/flock"
)

// lockFile is the empty file in a pending folder whose lock says a
// process is working on that upload.
const lockFile = "lock"

// errBusy is the cause of claimPending's error when another process
// holds the folder.
var errBusy = errors.New("upload in progress elsewhere")

// pending is the folder of one upload's state (see pendingDir), held by
// this process. A second run of the same command while the first is
// still at work (a second window, a retry pressed too soon) is refused
// instead of sealing, uploading and deleting under the first one's feet.
// The lock goes with the process however it ends, so a run killed or cut
// off by a power loss leaves nothing to clear by hand.
type pending struct {
	dir  string
	lock *os.File
}

// claimPending makes dir if need be and locks it, or says that another
// process is sending what (e.g. "these files"). On a file system that has
// no locks it warns and goes on: a submission must not fail for that.
func (e *env) claimPending(dir, what string) (*pending, error) {
	name := filepath.Join(dir, lockFile)
	// A run that finishes removes the folder while it still holds the
	// lock; one that opened the lock file just before then locks a file
	// that no longer has a name, and tries again with a new folder.
	for range 3 {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, failf("cannot create the upload state folder: %v", err)
		}
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, failf("cannot open the upload state folder: %v", err)
		}
		err = flock.TryLock(f)
		if errors.Is(err, errors.ErrUnsupported) {
			e.out.Warnf("the file system of %s cannot lock files: make sure no other refuge process is sending %s", dir, what)
			err = nil
		}
		if err != nil {
			f.Close()
			if errors.Is(err, flock.ErrLocked) {
				busy := failf("another refuge process on this device is already sending %s", what).
					Hint("let it finish, or stop it (Ctrl-C) and run this command again: the upload resumes where it stopped")
				busy.Cause = errBusy
				return nil, busy
			}
			return nil, failf("cannot lock the upload state folder: %v", err)
		}
		if named(f, name) {
			p := &pending{dir: dir, lock: f}
			p.removeTemps()
			return p, nil
		}
		f.Close()
	}
	return nil, failf("the upload state folder %s keeps disappearing; is another refuge process sending %s?", dir, what)
}

// named reports whether f is still the file called name.
func named(f *os.File, name string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(name)
	return err == nil && os.SameFile(a, b)
}

// removeTemps removes the temporary files of a state save that a killed
// run left (see writeFileAtomic); under the lock, none is in use.
func (p *pending) removeTemps() {
	entries, _ := os.ReadDir(p.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			os.Remove(filepath.Join(p.dir, e.Name()))
		}
	}
}

// clear removes everything in the folder but the lock: the upload starts
// afresh, or is over.
func (p *pending) clear() error {
	entries, err := os.ReadDir(p.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if e.Name() == lockFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(p.dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// release lets the folder go: it stays for the next run if it holds an
// upload's state, and is removed if it holds nothing but the lock, as
// after a success, or a run that stopped before it saved any state.
func (p *pending) release() {
	entries, _ := os.ReadDir(p.dir)
	if len(entries) != 1 || entries[0].Name() != lockFile {
		p.lock.Close()
		return
	}
	// Removed while still locked where the system allows it (see
	// claimPending); Windows refuses to remove an open file, so there it
	// is removed after closing, and stays if another run has opened it.
	name := filepath.Join(p.dir, lockFile)
	if os.Remove(name) == nil {
		os.Remove(p.dir)
		p.lock.Close()
		return
	}
	p.lock.Close()
	os.Remove(name)
	os.Remove(p.dir)
}

// otherPending tells of the unfinished uploads, other than pd's, that the
// device still keeps. A run for other files leaves its folder until it is
// finished; so does one whose files changed or moved since, which can
// then never resume: its folder stays until it is deleted. A person who
// must think about what a seized device shows should know.
func (e *env) otherPending(pd *pending) {
	parent := filepath.Dir(pd.dir)
	entries, _ := os.ReadDir(parent)
	n, latest := 0, time.Time{}
	for _, en := range entries {
		dir := filepath.Join(parent, en.Name())
		if !en.IsDir() || dir == pd.dir {
			continue
		}
		if _, ok, _ := loadState(dir); !ok {
			continue
		}
		n++
		if fi, err := os.Stat(filepath.Join(dir, stateFile)); err == nil && fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	if n == 0 {
		return
	}
	e.out.Infof("note: this device still keeps %s in %s (ciphertext and upload state, never files in clear or a phrase; the most recent from %s)",
		cli.Plural(n, "other unfinished upload"), parent, latest.Format("2 January 2006"))
	e.out.Hintf("to finish one, run the command that started it again, with the same files; if they have changed or moved since, it cannot resume: delete its folder to discard it")
}
