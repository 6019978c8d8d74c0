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
//
// A folder that is not there yet is made only when the run has something
// to keep in it (keep): a run that fails before then (a manifest refused,
// a server that does not answer) leaves no folder, not even the state
// folder, on the device.
type pending struct {
	e         *env
	dir, what string
	lock      *os.File // nil until the folder is claimed
}

// openPending returns the upload folder dir, of the upload of what (e.g.
// "these files"). A folder that exists is claimed at once: it may hold an
// upload to resume, or be the folder of another run at work, which this
// one must not race. One that does not is only named, and made by keep.
func (e *env) openPending(dir, what string) (*pending, error) {
	p := &pending{e: e, dir: dir, what: what}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err := p.claim(); err != nil {
		return nil, err
	}
	return p, nil
}

// keep makes the folder, with the state folder around it (pendingDir
// puts it in STATE/pending/), all 0700, and claims it, unless this run holds it already: called before the first
// thing is saved in it. A folder made meanwhile by another run of the
// same upload, which then saved its state there, is that run's: this one
// stops as if the other were still at work (it has shown and sent
// nothing yet), and running it again resumes that upload.
func (p *pending) keep() error {
	if p.lock != nil {
		return nil
	}
	if _, err := makeStateDir(filepath.Dir(filepath.Dir(p.dir))); err != nil {
		return err
	}
	if err := p.claim(); err != nil {
		return err
	}
	if entries, _ := os.ReadDir(p.dir); len(entries) != 1 {
		p.release()
		return p.busy()
	}
	return nil
}

// busy is the error of a run that finds another one sending the same
// upload.
func (p *pending) busy() *cli.Error {
	busy := failf("another refuge process on this device is already sending %s", p.what).
		Hint("let it finish, or stop it (Ctrl-C) and run this command again: the upload resumes where it stopped")
	busy.Cause = errBusy
	return busy
}

// claim makes the folder if need be and locks it, or says that another
// process is sending the same upload. On a file system that has no locks
// it warns and goes on: a submission must not fail for that.
func (p *pending) claim() error {
	name := filepath.Join(p.dir, lockFile)
	// A run that finishes removes the folder while it still holds the
	// lock; one that opened the lock file just before then locks a file
	// that no longer has a name, and tries again with a new folder.
	for range 3 {
		if err := os.MkdirAll(p.dir, 0o700); err != nil {
			return failf("cannot create the upload state folder: %v", err)
		}
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return failf("cannot open the upload state folder: %v", err)
		}
		err = flock.TryLock(f)
		if errors.Is(err, errors.ErrUnsupported) {
			p.e.out.Warnf("the file system of %s cannot lock files: make sure no other refuge process is sending %s", p.dir, p.what)
			err = nil
		}
		if err != nil {
			f.Close()
			if errors.Is(err, flock.ErrLocked) {
				return p.busy()
			}
			return failf("cannot lock the upload state folder: %v", err)
		}
		if named(f, name) {
			p.lock = f
			p.removeTemps()
			return nil
		}
		f.Close()
	}
	return failf("the upload state folder %s keeps disappearing; is another refuge process sending %s?", p.dir, p.what)
}

// state reads the saved state of the upload; ok is false if there is none,
// or if this run has not claimed the folder: one made since by another
// run is that run's.
func (p *pending) state() (st uploadState, ok bool, err error) {
	if p.lock == nil {
		return st, false, nil
	}
	return loadState(p.dir)
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
// afresh, or is over. A folder this run has not claimed is not its own to
// clear.
func (p *pending) clear() error {
	if p.lock == nil {
		return nil
	}
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
	if p.lock == nil {
		return
	}
	defer func() { p.lock = nil }()
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
// must think about what a seized device shows should know. The folder of
// an upload another run is sending now (a batch of referrals run at once)
// is not told of: it goes when that run is done, and deleting it, as the
// hint says of the others, would break that run.
func (e *env) otherPending(pd *pending) {
	parent := filepath.Dir(pd.dir)
	entries, _ := os.ReadDir(parent)
	n, latest := 0, time.Time{}
	for _, en := range entries {
		dir := filepath.Join(parent, en.Name())
		if !en.IsDir() || dir == pd.dir {
			continue
		}
		if _, ok, _ := loadState(dir); !ok || atWork(dir) {
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

// atWork reports whether another run holds the upload folder dir, as
// claim locks it. Asking takes the lock for an instant: a run of that
// upload that starts in that instant is refused as busy, and says to run
// it again.
func atWork(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(flock.TryLock(f), flock.ErrLocked)
}
