package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	bolt "go.etcd.io/bbolt"

	"refuge/internal/lowerhex"
)

// Submission returns a submission, deleted or not.
func (s *BoltStore) Submission(ctx context.Context, id string) (Submission, error) {
	if !lowerhex.ID(id) {
		return Submission{}, notFound("submission")
	}
	var rec submissionRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bucketSubmissions), []byte(id), &rec)
		if err == nil && !ok {
			err = notFound("submission")
		}
		return err
	})
	if err != nil {
		return Submission{}, err
	}
	return rec.submission(), nil
}

// SubmissionsAfter lists, in the order of their IDs, at most limit
// submissions not yet deleted whose IDs sort after after ("" for the
// first), and tells whether more may follow: a courier reads a long list
// a page at a time, each page a Seek and a short walk whatever the
// store holds.
func (s *BoltStore) SubmissionsAfter(ctx context.Context, after string, limit int) ([]Submission, bool, error) {
	if after != "" && !lowerhex.ID(after) {
		return nil, false, invalid("a submission id is 32 lowercase hex characters")
	}
	if limit < 1 {
		return nil, false, invalid("a page holds at least one submission")
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	var subs []Submission
	more := false
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachLive(tx, after, func(rec *submissionRecord) bool {
			if len(subs) == limit {
				more = true
				return false
			}
			subs = append(subs, rec.submission())
			return true
		})
	})
	if err != nil {
		return nil, false, err
	}
	return subs, more, nil
}

// eachLive calls fn, in the order of their IDs, with each submission not
// yet deleted whose ID sorts after after ("" for all), until fn returns
// false.
func eachLive(tx *bolt.Tx, after string, fn func(*submissionRecord) bool) error {
	c := tx.Bucket(bucketSubmissions).Cursor()
	k, v := c.First()
	if after != "" {
		if k, v = c.Seek([]byte(after)); string(k) == after {
			k, v = c.Next()
		}
	}
	for ; k != nil; k, v = c.Next() {
		var rec submissionRecord
		if err := jsonUnmarshal(v, &rec); err != nil {
			return err
		}
		if rec.Status != StatusDeleted && !fn(&rec) {
			return nil
		}
	}
	return nil
}

// Submissions lists the submissions not yet deleted, in the order they
// were completed (tests use it; couriers read SubmissionsAfter's pages).
func (s *BoltStore) Submissions(ctx context.Context) ([]Submission, error) {
	var recs []submissionRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachLive(tx, "", func(rec *submissionRecord) bool {
			recs = append(recs, *rec)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b submissionRecord) int { return cmpUint(a.Seq, b.Seq) })
	subs := make([]Submission, len(recs))
	for i := range recs {
		subs[i] = recs[i].submission()
	}
	return subs, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// blob is an opened ciphertext file of a known size.
type blob struct {
	*os.File
	size int64
}

func (b blob) Size() int64 { return b.size }

// OpenCiphertext opens a submission's ciphertext. A deleted one is not
// found (and gone).
func (s *BoltStore) OpenCiphertext(ctx context.Context, id string) (Ciphertext, error) {
	sub, err := s.Submission(ctx, id)
	if err != nil {
		return nil, err
	}
	if sub.Status == StatusDeleted {
		return nil, gone("ciphertext")
	}
	return openBlob(s.blobPath(id), sub.Size)
}

// OpenReply opens one reply of a submission.
func (s *BoltStore) OpenReply(ctx context.Context, submissionID, replyID string) (Ciphertext, error) {
	if !lowerhex.ID(replyID) {
		return nil, notFound("reply")
	}
	sub, err := s.Submission(ctx, submissionID)
	if err != nil {
		return nil, err
	}
	for _, r := range sub.Replies {
		if r.ID == replyID {
			return openBlob(s.replyPath(submissionID, replyID), r.Size)
		}
	}
	return nil, notFound("reply")
}

func openBlob(path string, size int64) (Ciphertext, error) {
	f, err := os.Open(path) // #nosec G304 -- path is built from validated hex IDs
	if err != nil {
		return nil, fmt.Errorf("store: open ciphertext: %w", err)
	}
	return blob{File: f, size: size}, nil
}

// MarkCollected moves a received submission to collected.
func (s *BoltStore) MarkCollected(ctx context.Context, id string) error {
	if !lowerhex.ID(id) {
		return notFound("submission")
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		var rec submissionRecord
		ok, err := get(subs, []byte(id), &rec)
		if err != nil {
			return err
		}
		switch {
		case !ok:
			return notFound("submission")
		case rec.Status == StatusDeleted:
			return fmt.Errorf("submission deleted: %w", ErrBadState)
		case rec.Status != StatusReceived:
			return nil
		}
		rec.Status = StatusCollected
		if _, err := appendEvent(tx, s.today(), EventCollected, id, rec.SHA256); err != nil {
			return err
		}
		return put(subs, []byte(id), &rec)
	})
}

// DeleteSubmission deletes acknowledged ciphertext. The record (status
// deleted) and the event are committed first, then the file is removed;
// a crash in between leaves an orphan file that Open removes. Deleting an
// already deleted submission with the right sum does nothing and is no
// error, so a courier may repeat an acknowledgement.
func (s *BoltStore) DeleteSubmission(ctx context.Context, id string, digest [sha256.Size]byte) error {
	if !lowerhex.ID(id) {
		return notFound("submission")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	already := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		var rec submissionRecord
		ok, err := get(subs, []byte(id), &rec)
		if err != nil {
			return err
		}
		switch {
		case !ok:
			return notFound("submission")
		case rec.SHA256 != digest:
			return fmt.Errorf("acknowledged hash differs from the stored one: %w", ErrBadState)
		case rec.Status == StatusDeleted:
			already = true
			return nil
		}
		rec.Status = StatusDeleted
		if _, err := appendEvent(tx, s.today(), EventDeleted, id, rec.SHA256); err != nil {
			return err
		}
		return put(subs, []byte(id), &rec)
	})
	if err != nil || already {
		return err
	}
	if err := removeFile(s.blobPath(id)); err != nil {
		return fmt.Errorf("store: remove ciphertext: %w", err)
	}
	if err := syncDir(filepath.Join(s.dir, blobsDir)); err != nil {
		return fmt.Errorf("store: sync blob directory: %w", err)
	}
	return nil
}
