package store_test

import (
	"errors"
	"testing"
	"time"

	"refuge/server/store"
	"refuge/server/store/storetest"

	berrors "go.etcd.io/bbolt/errors"
)

// testNow is the clock of the tests: noon on the suite's day.
func testNow() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }

// openBolt opens a BoltStore in a fresh directory; at the end of the test
// it checks the bbolt file's consistency and closes it.
func openBolt(t *testing.T, dir string) *store.BoltStore {
	t.Helper()
	s, err := store.Open(dir, store.Options{Now: testNow})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		// A test that closed the store itself has reopened what it needs.
		if err := s.Check(); err != nil && !errors.Is(err, berrors.ErrDatabaseNotOpen) {
			t.Errorf("bbolt consistency check: %v", err)
		}
		s.Close()
	})
	return s
}

func TestBoltStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openBolt(t, t.TempDir()) })
}
