package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Concurrent callers share commits; a failing function gets its own
// error and changes nothing, the others' writes all land exactly once.
func TestGroupCommit(t *testing.T) {
	db, g := newGroupCommit(t, t.TempDir())
	const n = 200
	errBad := errors.New("refused")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = g.update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("b"))
				key := fmt.Appendf(nil, "k%03d", i)
				if b.Get(key) != nil {
					return errors.New("ran twice in one committed transaction")
				}
				if err := b.Put(key, []byte("v")); err != nil {
					return err
				}
				if i%7 == 0 {
					return errBad // after a write, which must be rolled back
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, stored := range storedKeys(t, db, n) {
		switch {
		case i%7 == 0 && !errors.Is(errs[i], errBad):
			t.Errorf("caller %d: %v, want its own error", i, errs[i])
		case i%7 == 0 && stored:
			t.Errorf("caller %d failed but its write was kept", i)
		case i%7 != 0 && errs[i] != nil:
			t.Errorf("caller %d: %v", i, errs[i])
		case i%7 != 0 && !stored:
			t.Errorf("caller %d succeeded but its write is missing", i)
		}
	}
}

// A caller whose directory cannot be synced gets that error and its
// transaction never runs; the others in the batch commit.
func TestGroupCommitSyncDir(t *testing.T) {
	if !canSyncDir {
		t.Skip("directories cannot be synced on this system")
	}
	dir := t.TempDir()
	db, g := newGroupCommit(t, dir)
	const n = 64
	missing := filepath.Join(dir, "missing")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d := dir
			if i%5 == 0 {
				d = missing
			}
			errs[i] = g.updateAfterSync(d, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "k%03d", i), []byte("v"))
			})
		})
	}
	wg.Wait()
	for i, stored := range storedKeys(t, db, n) {
		switch {
		case i%5 == 0 && (errs[i] == nil || stored):
			t.Errorf("caller %d with an unsyncable directory: err %v, stored %v", i, errs[i], stored)
		case i%5 != 0 && (errs[i] != nil || !stored):
			t.Errorf("caller %d: err %v, stored %v", i, errs[i], stored)
		}
	}
}

// storedKeys reports, for callers 0 to n-1, whether key k<i> is in
// bucket "b".
func storedKeys(t *testing.T, db *bolt.DB, n int) []bool {
	t.Helper()
	stored := make([]bool, n)
	if err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i := range n {
			stored[i] = b.Get(fmt.Appendf(nil, "k%03d", i)) != nil
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return stored
}

// newGroupCommit opens a bbolt file in dir with a bucket "b" and a group
// commit over it; the file is closed when the test ends.
func newGroupCommit(t *testing.T, dir string) (*bolt.DB, *groupCommit) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "g.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db, &groupCommit{db: db}
}
