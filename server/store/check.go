package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Check verifies the store's consistency and returns every problem it
// finds, joined (nil if none):
//
//   - bbolt's own check of the database file (pages, freelist, buckets);
//   - every upload has its part file, at least as long as its offset,
//     and every reservation names an upload of that submission;
//   - every submission not deleted has its ciphertext file, of its size,
//     and every reply its file, of its size;
//   - the event log is a complete, correct hash chain from entry 1.
//
// It reads records and file sizes, not the ciphertext. Run it on a quiet
// store (at start-up, in tests): a deletion running meanwhile may be
// reported as a missing file.
func (s *BoltStore) Check() error {
	var errs []error
	err := s.db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			errs = append(errs, fmt.Errorf("bbolt: %w", e))
		}
		errs = append(errs, s.checkUploads(tx)...)
		errs = append(errs, s.checkSubmissions(tx)...)
		return nil
	})
	errs = append(errs, err, s.checkEvents())
	return errors.Join(errs...)
}

func (s *BoltStore) checkUploads(tx *bolt.Tx) []error {
	var errs []error
	err := tx.Bucket(bucketUploads).ForEach(func(k, v []byte) error {
		var rec uploadRecord
		if err := jsonUnmarshal(v, &rec); err != nil {
			return err
		}
		fi, err := os.Stat(s.partPath(rec.ID))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("upload %s: %w", rec.ID, err))
		case fi.Size() < rec.Offset:
			errs = append(errs, fmt.Errorf("upload %s: file holds %d bytes, offset is %d", rec.ID, fi.Size(), rec.Offset))
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	err = tx.Bucket(bucketReserved).ForEach(func(sub, id []byte) error {
		var rec uploadRecord
		ok, err := get(tx.Bucket(bucketUploads), id, &rec)
		if err == nil && (!ok || rec.SubmissionID != string(sub)) {
			errs = append(errs, fmt.Errorf("submission %s: reserved by a missing upload", sub))
		}
		return err
	})
	return append(errs, err)
}

func (s *BoltStore) checkSubmissions(tx *bolt.Tx) []error {
	var errs []error
	checkSize := func(what, path string, size int64) {
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		case fi.Size() != size:
			errs = append(errs, fmt.Errorf("%s: file holds %d bytes, record says %d", what, fi.Size(), size))
		}
	}
	err := tx.Bucket(bucketSubmissions).ForEach(func(k, v []byte) error {
		var rec submissionRecord
		if err := jsonUnmarshal(v, &rec); err != nil {
			return err
		}
		if rec.Status != StatusDeleted {
			checkSize("submission "+rec.ID, s.blobPath(rec.ID), rec.Size)
		}
		for _, r := range rec.Replies {
			checkSize("reply "+r.ID, s.replyPath(rec.ID, r.ID), r.Size)
		}
		return nil
	})
	return append(errs, err)
}

// checkEvents verifies the whole log, a page at a time.
func (s *BoltStore) checkEvents() error {
	var prev [sha256.Size]byte
	next := uint64(1)
	for {
		page, err := s.Events(context.Background(), next, DefaultEventLimit)
		if err != nil || len(page) == 0 {
			return err
		}
		if page[0].Seq != next {
			return fmt.Errorf("event log: entry %d missing", next)
		}
		if prev, err = VerifyEvents(prev, page); err != nil {
			return err
		}
		next = page[len(page)-1].Seq + 1
	}
}
