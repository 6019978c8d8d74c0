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

// FreeSpace agrees with df about the data directory's file system. Other
// tests write and free files on it meanwhile (a finished test's temporary
// folders can free hundreds of MiB at once), so FreeSpace is asked just
// before and just after df: df's answer must lie between the two, give or
// take what is written and freed again in those few milliseconds.
func TestFreeSpaceAsDfSees(t *testing.T) {
	dir := t.TempDir()
	s := openBolt(t, dir)
	before, err := s.FreeSpace(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("df", "-B1", "--output=avail", dir).Output()
	if err != nil {
		t.Fatalf("df: %v", err)
	}
	after, err := s.FreeSpace(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	df, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		t.Fatalf("df printed %q", out)
	}
	const slack = 256 << 20
	if df < min(before, after)-slack || df > max(before, after)+slack {
		t.Fatalf("FreeSpace %d bytes before df and %d after, df %d", before, after, df)
	}
}
