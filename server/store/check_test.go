package store_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"refuge/server/store"
	"refuge/server/store/storetest"

	bolt "go.etcd.io/bbolt"
)

// Check finds each kind of damage a disk or an intruder could do.
func TestCheckFindsDamage(t *testing.T) {
	tests := []struct {
		desc   string
		damage func(t *testing.T, dir string, sub store.Submission, part string)
	}{
		{"ciphertext removed", func(t *testing.T, dir string, sub store.Submission, _ string) {
			os.Remove(filepath.Join(dir, "blobs", sub.ID+".age"))
		}},
		{"ciphertext cut", func(t *testing.T, dir string, sub store.Submission, _ string) {
			os.Truncate(filepath.Join(dir, "blobs", sub.ID+".age"), 3)
		}},
		{"reply removed", func(t *testing.T, dir string, sub store.Submission, _ string) {
			os.Remove(filepath.Join(dir, "replies", sub.ID, sub.Replies[0].ID+".age"))
		}},
		{"part file cut", func(t *testing.T, dir string, _ store.Submission, part string) {
			os.Truncate(filepath.Join(dir, "uploads", part+".part"), 1)
		}},
		{"event rewritten", func(t *testing.T, dir string, sub store.Submission, _ string) {
			rewriteEvent(t, dir, 2, []byte(sub.ID), []byte(storetest.NewID(t)))
		}},
		{"event dropped", func(t *testing.T, dir string, _ store.Submission, _ string) {
			rewriteEvent(t, dir, 2, nil, nil)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			s, err := store.Open(dir, store.Options{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if s != nil {
					s.Close()
				}
			}()
			sub := submitBytes(t, s, []byte("ciphertext"))
			r := newUpload(t, store.KindReply, sub.ID, 5)
			mustCreate(t, s, r)
			mustWrite(t, s, r.ID, 0, []byte("reply"))
			sub = mustComplete(t, s, r.ID)
			p := newUpload(t, store.KindAnonymous, storetest.NewID(t), 10)
			mustCreate(t, s, p)
			mustWrite(t, s, p.ID, 0, []byte("12345"))
			if err := s.Check(); err != nil {
				t.Fatalf("Check of an intact store: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, dir, sub, p.ID)
			// Open refuses a part file that lost acknowledged bytes; the
			// other damage is for Check to find.
			s, err = store.Open(dir, store.Options{Now: testNow})
			if err != nil {
				if tc.desc == "part file cut" {
					return
				}
				t.Fatal(err)
			}
			if err := s.Check(); err == nil {
				t.Fatal("Check found nothing wrong")
			}
		})
	}
}

// rewriteEvent replaces old by new in event seq's stored record, or
// deletes the record if old is nil, behind the store's back.
func rewriteEvent(t *testing.T, dir string, seq uint64, old, new []byte) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "refuge.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("events"))
		key := binary.BigEndian.AppendUint64(nil, seq)
		if old == nil {
			return b.Delete(key)
		}
		v := b.Get(key)
		if !bytes.Contains(v, old) {
			t.Fatalf("event %d does not hold %q", seq, old)
		}
		return b.Put(key, bytes.Replace(v, old, new, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
}
