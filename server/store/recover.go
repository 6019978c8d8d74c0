package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// recover brings the files in line with the committed records after a
// crash. It runs in Open before the store is shared.
//
//   - A part file longer than its recorded offset holds bytes that were
//     never acknowledged: it is cut back to the offset.
//   - A finished upload whose file was renamed into place but whose
//     completion was not committed gets its part file back (and is cut
//     back to its offset, if its last chunk came with the completion).
//   - Any file that no record references is removed (sweep).
func (s *BoltStore) recover() error {
	var uploads []uploadRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUploads).ForEach(func(_, v []byte) error {
			var rec uploadRecord
			if err := jsonUnmarshal(v, &rec); err != nil {
				return err
			}
			uploads = append(uploads, rec)
			return nil
		})
	})
	if err != nil {
		return err
	}
	for i := range uploads {
		if err := s.recoverUpload(&uploads[i]); err != nil {
			return err
		}
	}
	if err := syncDir(filepath.Join(s.dir, uploadsDir)); err != nil {
		return fmt.Errorf("store: sync upload directory: %w", err)
	}
	_, err = s.sweep()
	return err
}

func (s *BoltStore) recoverUpload(rec *uploadRecord) error {
	path := s.partPath(rec.ID)
	fi, err := os.Stat(path)
	// A finished upload renamed into place but not committed: Complete
	// leaves it at its full offset, WriteLastChunk at the offset before
	// its last chunk (cut back below).
	if errors.Is(err, fs.ErrNotExist) {
		err = s.undoPlace(rec)
		if err == nil {
			fi, err = os.Stat(path)
		}
	}
	if errors.Is(err, fs.ErrNotExist) && rec.Offset == 0 {
		return createEmpty(path, rec.Created)
	}
	if err != nil {
		return fmt.Errorf("store: upload %s: %w", rec.ID, err)
	}
	switch {
	case fi.Size() < rec.Offset:
		return fmt.Errorf("store: upload %s: file holds %d bytes but %d were acknowledged; the disk lost data", rec.ID, fi.Size(), rec.Offset)
	case fi.Size() == rec.Offset:
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0) // #nosec G304 -- path is built from a validated hex ID
	if err != nil {
		return fmt.Errorf("store: upload %s: %w", rec.ID, err)
	}
	defer f.Close()
	if err := f.Truncate(rec.Offset); err != nil {
		return fmt.Errorf("store: upload %s: cut back to its offset: %w", rec.ID, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: upload %s: %w", rec.ID, err)
	}
	return nil
}

// undoPlace renames a finished upload's file back to its part file if
// Complete renamed it but crashed before committing. It returns
// fs.ErrNotExist if there is nothing to undo.
func (s *BoltStore) undoPlace(rec *uploadRecord) error {
	var placed bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var sub submissionRecord
		ok, err := get(tx.Bucket(bucketSubmissions), []byte(rec.SubmissionID), &sub)
		if err != nil {
			return err
		}
		if rec.Kind != KindReply {
			placed = !ok
			return nil
		}
		placed = ok
		for _, r := range sub.Replies {
			placed = placed && r.ID != rec.ID
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !placed {
		return fs.ErrNotExist
	}
	src := s.blobPath(rec.SubmissionID)
	if rec.Kind == KindReply {
		src = s.replyPath(rec.SubmissionID, rec.ID)
	}
	if err := os.Rename(src, s.partPath(rec.ID)); err != nil {
		return err
	}
	return syncDir(filepath.Dir(src))
}

// ExpireUploads removes the uploads that expire on or before today (but
// not one that is being written right now; the next run gets it), then
// every file that nothing references.
func (s *BoltStore) ExpireUploads(ctx context.Context, today Day) (int, error) {
	if !validDay(today) {
		return 0, invalid("expiry day is not a date")
	}
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUploads).ForEach(func(k, v []byte) error {
			var rec uploadRecord
			if err := jsonUnmarshal(v, &rec); err != nil {
				return err
			}
			if rec.Expires <= today {
				ids = append(ids, rec.ID)
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		ok, err := s.expireUpload(id, today)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	_, err = s.sweep()
	return n, err
}

func (s *BoltStore) expireUpload(id string, today Day) (bool, error) {
	if !s.lock(id) {
		return false, nil
	}
	defer s.unlock(id)
	removed := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		var rec uploadRecord
		ok, err := get(tx.Bucket(bucketUploads), []byte(id), &rec)
		if err != nil || !ok || rec.Expires > today {
			return err
		}
		removed = true
		return deleteUploadRecord(tx, id)
	})
	if err != nil || !removed {
		return false, err
	}
	return true, s.removePart(id)
}

// sweep removes every file and directory under uploads/, blobs/ and
// replies/ that no record references: leftovers of a crash, of a removal
// that failed, or files that were never ours. It returns how many it
// removed.
func (s *BoltStore) sweep() (int, error) {
	s.fsMu.Lock()
	defer s.fsMu.Unlock()
	uploads := map[string]bool{}
	blobs := map[string]bool{}
	replies := map[string]map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketUploads).ForEach(func(k, _ []byte) error {
			uploads[string(k)+".part"] = true
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketSubmissions).ForEach(func(k, v []byte) error {
			var rec submissionRecord
			if err := jsonUnmarshal(v, &rec); err != nil {
				return err
			}
			if rec.Status != StatusDeleted {
				blobs[rec.ID+".age"] = true
			}
			if len(rec.Replies) > 0 {
				replies[rec.ID] = map[string]bool{}
				for _, r := range rec.Replies {
					replies[rec.ID][r.ID+".age"] = true
				}
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	n, err := sweepDir(filepath.Join(s.dir, uploadsDir), uploads)
	if err != nil {
		return n, err
	}
	m, err := sweepDir(filepath.Join(s.dir, blobsDir), blobs)
	n += m
	if err != nil {
		return n, err
	}
	dirs := map[string]bool{}
	for sub := range replies {
		dirs[sub] = true
	}
	m, err = sweepDir(filepath.Join(s.dir, repliesDir), dirs)
	n += m
	for sub, keep := range replies {
		if err != nil {
			break
		}
		m, err = sweepDir(s.replyDir(sub), keep)
		n += m
	}
	return n, err
}

// sweepDir removes every entry of dir whose name is not in keep, then
// syncs dir if it removed anything. Only a subdirectory of replies/ is
// ever a directory; entries named by a record are never touched.
func sweepDir(dir string, keep map[string]bool) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: list %s: %w", filepath.Base(dir), err)
	}
	n := 0
	for _, e := range entries {
		if keep[e.Name()] {
			continue
		}
		if strings.ContainsAny(e.Name(), `/\`) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return n, fmt.Errorf("store: remove an unreferenced file: %w", err)
		}
		n++
	}
	if n > 0 {
		if err := syncDir(dir); err != nil {
			return n, fmt.Errorf("store: sync %s: %w", filepath.Base(dir), err)
		}
	}
	return n, nil
}
