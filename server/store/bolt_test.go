package store_test

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
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

// FreeSpace agrees with df about the data directory's file system, to
// within what other tests running at the same time may write or free.
func TestFreeSpaceAsDfSees(t *testing.T) {
	dir := t.TempDir()
	s := openBolt(t, dir)
	out, err := exec.Command("df", "-B1", "--output=avail", dir).Output()
	if err != nil {
		t.Fatalf("df: %v", err)
	}
	got, err := s.FreeSpace(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	df, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		t.Fatalf("df printed %q", out)
	}
	if d := got - df; d > 256<<20 || d < -256<<20 {
		t.Fatalf("FreeSpace %d bytes, df %d", got, df)
	}
}
