package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"refuge/server/store"
	"refuge/server/store/storetest"
)

// TestCreatedEventOfAnOlderRecord: an upload recorded before the created
// event moved to the completion had its event logged when it was
// created. Its completion logs the completed event alone: the log names
// each submission's creation once.
func TestCreatedEventOfAnOlderRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	data := storetest.Data(100)
	u := store.Upload{ID: storetest.NewID(t), Length: 100, Created: "2026-11-28", Expires: "2999-12-31",
		Kind: store.KindAnonymous, SubmissionID: storetest.NewID(t)}
	if err := s.CreateUpload(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteChunk(ctx, u.ID, 0, bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Make it the record and log an older server left: no pending mark,
	// the created event already first in the log.
	db, err := bolt.Open(filepath.Join(dir, "refuge.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("uploads"))
		v := b.Get([]byte(u.ID))
		if !bytes.Contains(v, []byte(`,"created_pending":true`)) {
			t.Fatalf("a new upload's record is not marked: %s", v)
		}
		if err := b.Put([]byte(u.ID), bytes.Replace(v, []byte(`,"created_pending":true`), nil, 1)); err != nil {
			return err
		}
		e := store.Event{Seq: 1, Day: u.Created, Type: store.EventCreated, SubmissionID: u.SubmissionID}
		e.Hash = store.EventHash(e)
		rec, err := json.Marshal(map[string]any{"seq": e.Seq, "day": e.Day, "type": e.Type, "submission_id": e.SubmissionID,
			"sha256": hexOf(e.SHA256), "prev": hexOf(e.Prev), "hash": hexOf(e.Hash)})
		if err != nil {
			return err
		}
		return tx.Bucket([]byte("events")).Put(binary.BigEndian.AppendUint64(nil, 1), rec)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = store.Open(dir, store.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Complete(ctx, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.VerifyEvents([32]byte{}, evs); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Type != store.EventCreated || evs[1].Type != store.EventCompleted || evs[1].SHA256 != sha256.Sum256(data) {
		t.Fatalf("log %+v, want the older created event and one completed", evs)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func hexOf(b [32]byte) string { return hex.EncodeToString(b[:]) }
