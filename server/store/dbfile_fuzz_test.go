package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// FuzzCheckBolt gives the check of a database file's header any bytes: it
// never panics, and answers nil or one of its errors about the file (an
// in-memory file cannot fail to be read). A file it passes is at least two
// pages long, as the header it checked says.
func FuzzCheckBolt(f *testing.F) {
	path := filepath.Join(f.TempDir(), DBName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		f.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("b"))
		for i := 0; err == nil && i < 200; i++ {
			err = b.Put([]byte{byte(i), byte(i >> 8)}, bytes.Repeat([]byte{byte(i)}, 100))
		}
		return err
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	if err := checkBolt(bytes.NewReader(good), int64(len(good))); err != nil {
		f.Fatalf("a database bbolt wrote: %v", err)
	}
	f.Add(good)
	f.Add(good[:4096])
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte("not a database\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkBolt(bytes.NewReader(data), int64(len(data)))
		switch {
		case err == nil && len(data) < 2*minPageSize:
			t.Fatalf("passed %d bytes, less than two pages", len(data))
		case err != nil && !isDBError(err):
			t.Fatalf("an error that is none of the check's: %v", err)
		}
	})
}
