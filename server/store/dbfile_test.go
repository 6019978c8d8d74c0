//go:build unix

package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"refuge/internal/fstree"
	"refuge/server/store"
)

// realDB returns the bytes of the refuge.db of a data directory the store
// made and wrote to (a token and an upload), closed.
func realDB(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := st.AddToken(context.Background(), store.Token{Name: fmt.Sprintf("desk%d", i), Role: store.RoleCourier, Verifier: [32]byte{1, byte(i), byte(i >> 8)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, store.DBName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resum sets the checksum of the meta page at off of db after a change.
func resum(db []byte, off int) {
	meta := db[off+16:]
	h := fnv.New64a()
	h.Write(meta[:56])
	binary.NativeEndian.PutUint64(meta[56:], h.Sum64())
}

// TestOpenRefusesBadDBFile opens data directories whose refuge.db bbolt
// cannot safely open: Open refuses each with its error and makes or
// changes nothing under the folder, the ciphertext beside it included.
// Before, bbolt made a new database in an empty file (and the sweep then
// removed the ciphertext as unknown), created the file a dangling link
// names, wrote into a named pipe, and crashed (SIGBUS) on a copy cut
// short.
func TestOpenRefusesBadDBFile(t *testing.T) {
	real := realDB(t)
	pageSize := int(binary.NativeEndian.Uint32(real[16+8:]))
	// The end of the pages in use, by the header of the later
	// transaction: bbolt grows the file beyond it.
	hwm := binary.NativeEndian.Uint64(real[16+40:])
	if binary.NativeEndian.Uint64(real[pageSize+16+48:]) > binary.NativeEndian.Uint64(real[16+48:]) {
		hwm = binary.NativeEndian.Uint64(real[pageSize+16+40:])
	}
	inUse := int(hwm) * pageSize
	edit := func(f func(db []byte)) []byte {
		db := append([]byte(nil), real...)
		f(db)
		return db
	}
	elsewhere := t.TempDir()
	if err := os.WriteFile(filepath.Join(elsewhere, store.DBName), real, 0o600); err != nil {
		t.Fatal(err)
	}
	file := func(b []byte) func(string) error {
		return func(p string) error { return os.WriteFile(p, b, 0o600) }
	}
	for _, c := range []struct {
		desc string
		make func(path string) error
		want error
	}{
		{"empty", file(nil), store.ErrDBEmpty},
		{"a text file", file([]byte("tokens: desk1, desk2\n")), store.ErrDBNotBolt},
		{"a text file of many pages", file([]byte(strings.Repeat("not a database\n", 5000))), store.ErrDBNotBolt},
		{"one byte", file([]byte{0}), store.ErrDBNotBolt},
		{"zeros", file(make([]byte, 8*pageSize)), store.ErrDBNotBolt},
		{"wrong magic in both headers", file(edit(func(db []byte) { db[16] ^= 1; db[pageSize+16] ^= 1 })), store.ErrDBNotBolt},
		{"another bbolt version", file(edit(func(db []byte) {
			for _, off := range []int{0, pageSize} {
				binary.NativeEndian.PutUint32(db[off+20:], 3)
				resum(db, off)
			}
		})), store.ErrDBDamaged},
		{"both checksums wrong", file(edit(func(db []byte) { db[16+56] ^= 1; db[pageSize+16+56] ^= 1 })), store.ErrDBDamaged},
		{"a page size not a power of two", file(edit(func(db []byte) {
			for _, off := range []int{0, pageSize} {
				binary.NativeEndian.PutUint32(db[off+24:], 4097)
				resum(db, off)
			}
		})), store.ErrDBDamaged},
		{"a root above the high water mark", file(edit(func(db []byte) {
			for _, off := range []int{0, pageSize} {
				binary.NativeEndian.PutUint64(db[off+32:], 1<<40)
				resum(db, off)
			}
		})), store.ErrDBDamaged},
		{"a high water mark far beyond the end", file(edit(func(db []byte) {
			for _, off := range []int{0, pageSize} {
				binary.NativeEndian.PutUint64(db[off+56:], 1<<30)
				resum(db, off)
			}
		})), store.ErrDBCut},
		{"a high water mark whose size overflows", file(edit(func(db []byte) {
			for _, off := range []int{0, pageSize} {
				binary.NativeEndian.PutUint64(db[off+56:], 1<<52+uint64(len(real)/pageSize))
				resum(db, off)
			}
		})), store.ErrDBCut},
		{"cut inside the first header", file(real[:40]), store.ErrDBCut},
		{"cut after the first header", file(real[:100]), store.ErrDBCut},
		{"cut after one page", file(real[:pageSize]), store.ErrDBCut},
		{"cut after two pages", file(real[:2*pageSize]), store.ErrDBCut},
		{"cut one byte short of its pages in use", file(real[:inUse-1]), store.ErrDBCut},
		{"cut short, first header damaged", file(edit(func(db []byte) { db[16+56] ^= 1 })[:2*pageSize+1]), store.ErrDBCut},
		{"a link to a real database", func(p string) error { return os.Symlink(filepath.Join(elsewhere, store.DBName), p) }, store.ErrDBLink},
		{"a link to nothing", func(p string) error { return os.Symlink(filepath.Join(elsewhere, "nothing.db"), p) }, store.ErrDBLink},
		{"a folder", func(p string) error { return os.Mkdir(p, 0o700) }, store.ErrDBNotFile},
		{"a named pipe", func(p string) error { return syscall.Mkfifo(p, 0o600) }, store.ErrDBNotFile},
	} {
		t.Run(c.desc, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{"uploads", "blobs", "replies"} {
				if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "blobs", "00112233445566778899aabbccddeeff.age"), []byte("age ciphertext"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := c.make(filepath.Join(dir, store.DBName)); err != nil {
				t.Fatal(err)
			}
			before, elsewhereBefore := fstree.Snapshot(t, dir), fstree.Snapshot(t, elsewhere)
			if err := store.CheckDB(dir); !errors.Is(err, c.want) {
				t.Errorf("CheckDB: %v, want %v", err, c.want)
			}
			st, err := store.Open(dir, store.Options{Now: testNow})
			if err == nil {
				st.Close()
			}
			if !errors.Is(err, c.want) {
				t.Errorf("Open: %v, want %v", err, c.want)
			}
			if after := fstree.Snapshot(t, dir); after != before {
				t.Errorf("Open changed the folder:\n%s\nwas\n%s", after, before)
			}
			if after := fstree.Snapshot(t, elsewhere); after != elsewhereBefore {
				t.Errorf("Open changed the folder the link points into:\n%s\nwas\n%s", after, elsewhereBefore)
			}
		})
	}
}

// TestOpenRefusesForeignDB opens a refuge.db that is a sound bbolt
// database of another program: it holds a bucket Refuge never makes.
// Open refuses it (ErrDBForeign) and changes nothing, not even the data
// directory's mode or its missing folders; before, it added Refuge's
// buckets to the other program's. A bbolt database with no buckets (a
// first start that stopped early) or only some of Refuge's (an older
// layout) is Refuge's, and opens.
func TestOpenRefusesForeignDB(t *testing.T) {
	for _, c := range []struct {
		desc    string
		buckets []string
		want    error
	}{
		{"another program's buckets", []string{"accounts", "sessions"}, store.ErrDBForeign},
		{"refuge's buckets and another", []string{"uploads", "tokens", "accounts"}, store.ErrDBForeign},
		{"a bucket whose name differs in case", []string{"Uploads"}, store.ErrDBForeign},
		{"no bucket", nil, nil},
		{"some of refuge's buckets, empty", []string{"uploads", "tokens"}, nil},
	} {
		t.Run(c.desc, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(filepath.Join(dir, store.DBName), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				for _, name := range c.buckets {
					b, err := tx.CreateBucket([]byte(name))
					if err != nil {
						return err
					}
					if c.want == nil {
						continue // Refuge's records are JSON; these are not
					}
					if err := b.Put([]byte("k"), []byte("v")); err != nil {
						return err
					}
				}
				return nil
			})
			if err := errors.Join(err, db.Close()); err != nil {
				t.Fatal(err)
			}
			before := fstree.Snapshot(t, dir)
			st, err := store.Open(dir, store.Options{Now: testNow})
			if !errors.Is(err, c.want) {
				t.Fatalf("Open: %v, want %v", err, c.want)
			}
			if c.want != nil {
				if after := fstree.Snapshot(t, dir); after != before {
					t.Errorf("Open changed the folder:\n%s\nwas\n%s", after, before)
				}
				return
			}
			defer st.Close()
			if err := st.Check(); err != nil {
				t.Fatal(err)
			}
			if err := st.AddToken(context.Background(), store.Token{Name: "desk1", Role: store.RoleCourier, Verifier: [32]byte{1}}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestOpenRefusesCiphertextWithoutDB opens a data directory that holds
// ciphertext (an upload, a submission or a reply) but no refuge.db:
// ErrDBMissing, and nothing made or removed. A data directory with its
// folders but nothing in them (a first start that stopped before the
// database was made) opens.
func TestOpenRefusesCiphertextWithoutDB(t *testing.T) {
	for _, f := range []string{"uploads/0123456789abcdef0123456789abcdef.part", "blobs/0123456789abcdef0123456789abcdef.age", "replies/0123456789abcdef0123456789abcdef"} {
		dir := t.TempDir()
		for _, d := range []string{"uploads", "blobs", "replies"} {
			if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		before := fstree.Snapshot(t, dir)
		if st, err := store.Open(dir, store.Options{Now: testNow}); !errors.Is(err, store.ErrDBMissing) {
			if err == nil {
				st.Close()
			}
			t.Errorf("%s without refuge.db: %v, want ErrDBMissing", f, err)
		}
		if after := fstree.Snapshot(t, dir); after != before {
			t.Errorf("%s: Open changed the folder:\n%s\nwas\n%s", f, after, before)
		}
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(dir, store.Options{Now: testNow})
		if err != nil {
			t.Fatalf("empty folders without refuge.db: %v", err)
		}
		st.Close()
	}
}

// TestCheckDBWhileWritten checks the database file of a store that is
// being written, as a token command does while the server runs: the
// check never takes a sound file for a bad one.
func TestCheckDBWhileWritten(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range 300 {
			name := fmt.Sprintf("%s%d", strings.Repeat("n", 60), i)
			if err := st.AddToken(context.Background(), store.Token{Name: name, Role: store.RoleCourier, Verifier: [32]byte{1, byte(i), byte(i >> 8)}}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	checks := 0
	for running := true; running; checks++ {
		select {
		case <-done:
			running = false
		default:
		}
		if err := store.CheckDB(dir); err != nil {
			t.Fatalf("check %d, while written: %v", checks, err)
		}
	}
	wg.Wait()
}
