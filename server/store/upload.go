package store

import (
	"context"
	"crypto/sha256"
	"encoding"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"refuge/internal/lowerhex"
)

// CreateUpload records a new, empty upload and creates its part file.
// The file is created before the record is committed, so a crash leaves
// at worst an orphan file that Open removes, or a record whose empty file
// Open creates again.
//
// It logs no event: the upload's created event is appended when it
// completes, in the same transaction as its completed event (see
// addSubmission). Anyone may create an upload; one abandoned, refused or
// terminated leaves nothing once its record and file are gone, so
// creations cannot grow the database without bound.
func (s *BoltStore) CreateUpload(ctx context.Context, u Upload) error {
	if err := validateUpload(&u); err != nil {
		return err
	}
	if u.Created == "" {
		u.Created = s.today()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.lock(u.ID) {
		return fmt.Errorf("upload: %w", ErrExists)
	}
	defer s.unlock(u.ID)
	s.fsMu.RLock()
	defer s.fsMu.RUnlock()

	if err := s.db.View(func(tx *bolt.Tx) error { return checkNewUpload(tx, &u, s.today()) }); err != nil {
		return err
	}
	state, err := sha256.New().(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return fmt.Errorf("store: hash state: %w", err)
	}
	path := s.partPath(u.ID)
	if err := createEmpty(path, u.Created); err != nil {
		return fmt.Errorf("store: create upload file: %w", err)
	}
	rec := uploadRecord{
		ID: u.ID, Length: u.Length, Created: u.Created, Expires: u.Expires, Kind: u.Kind,
		SubmissionID: u.SubmissionID, Verifier: u.Verifier, Partner: u.Partner, Courier: u.Courier, HashState: state,
		CreatedPending: u.Kind != KindReply,
	}
	if u.CreatorToken != [32]byte{} {
		rec.CreatorToken = (*sum)(&u.CreatorToken)
	}
	err = s.gc.update(func(tx *bolt.Tx) error {
		if err := checkNewUpload(tx, &u, s.today()); err != nil {
			return err
		}
		if err := put(tx.Bucket(bucketUploads), []byte(u.ID), &rec); err != nil {
			return err
		}
		if u.Kind == KindReply {
			return nil
		}
		return tx.Bucket(bucketReserved).Put([]byte(u.SubmissionID), []byte(u.ID))
	})
	if err != nil {
		// Nothing references the file; if it cannot go now, the next
		// sweep removes it.
		_ = removeFile(path)
		return err
	}
	return nil
}

func validateUpload(u *Upload) error {
	switch {
	case !lowerhex.ID(u.ID):
		return invalid("upload id must be 32 lowercase hex characters")
	case u.Length < 0:
		return invalid("upload length is negative")
	case u.Offset != 0:
		return invalid("a new upload starts at offset 0")
	case !lowerhex.ID(u.SubmissionID):
		return invalid("submission id must be 32 lowercase hex characters")
	case u.Partner != "" && !validName(u.Partner):
		return invalid("partner name must be 1 to 64 printable characters")
	case u.Courier != "" && !validName(u.Courier):
		return invalid("courier name must be 1 to 64 printable characters")
	case u.CreatorToken != [32]byte{} && u.Partner == "" && u.Courier == "":
		return invalid("an upload created by a token names its partner or courier")
	case u.Created != "" && !validDay(u.Created):
		return invalid("creation day is not a date")
	case !validDay(u.Expires):
		return invalid("expiry day is not a date")
	}
	switch u.Kind {
	case KindAnonymous, KindRelay, KindReferral, KindReply:
	default:
		return invalid("unknown upload kind")
	}
	return nil
}

// checkNewUpload refuses an upload whose ID or submission ID is taken, or
// a reply to a submission that does not exist. An upload that has expired
// (today is its expiry day or later) no longer holds its submission ID:
// it can never complete, and until the sweep removes it, its client,
// told it expired, must be able to send the submission again. The new
// upload's reservation replaces its own (deleteUploadRecord then leaves
// the new one in place).
func checkNewUpload(tx *bolt.Tx, u *Upload, today Day) error {
	if tx.Bucket(bucketUploads).Get([]byte(u.ID)) != nil {
		return fmt.Errorf("upload: %w", ErrExists)
	}
	subs := tx.Bucket(bucketSubmissions)
	if u.Kind == KindReply {
		if subs.Get([]byte(u.SubmissionID)) == nil {
			return notFound("submission")
		}
		return nil
	}
	if subs.Get([]byte(u.SubmissionID)) != nil {
		return fmt.Errorf("submission: %w", ErrExists)
	}
	holder := tx.Bucket(bucketReserved).Get([]byte(u.SubmissionID))
	if holder == nil {
		return nil
	}
	var rec uploadRecord
	ok, err := get(tx.Bucket(bucketUploads), holder, &rec)
	if err != nil {
		return err
	}
	if !ok || rec.Expires > today {
		return fmt.Errorf("submission: %w", ErrExists)
	}
	return nil
}

// createEmpty creates an empty 0600 file (replacing an orphan left by a
// crash), dated day. It does not fsync: an empty part file holds nothing
// acknowledged, so its name becomes durable with the upload's first chunk
// (commitChunk syncs the directory then), and Open recreates a part file
// that a crash took away while its offset was still 0.
func createEmpty(path string, day Day) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // #nosec G304 -- path is built from a validated hex ID
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return setDay(path, day)
}

// Upload returns an upload's state; an expired upload is not found (and
// gone).
func (s *BoltStore) Upload(ctx context.Context, id string) (Upload, error) {
	if !lowerhex.ID(id) {
		return Upload{}, notFound("upload")
	}
	var rec uploadRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = s.liveUpload(tx, id)
		return err
	})
	return rec.upload(), err
}

// liveUpload reads an upload record that exists and has not expired.
func (s *BoltStore) liveUpload(tx *bolt.Tx, id string) (uploadRecord, error) {
	var rec uploadRecord
	ok, err := get(tx.Bucket(bucketUploads), []byte(id), &rec)
	if err != nil {
		return rec, err
	}
	if !ok {
		return rec, notFound("upload")
	}
	if rec.Expires <= s.today() {
		return rec, gone("upload")
	}
	return rec, nil
}

// DeleteUpload removes an upload, its reservation and its part file.
// The record goes first; a crash before the file is removed leaves an
// orphan that Open removes.
func (s *BoltStore) DeleteUpload(ctx context.Context, id string) error {
	if !lowerhex.ID(id) {
		return notFound("upload")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.lock(id) {
		return fmt.Errorf("upload: %w", ErrLocked)
	}
	defer s.unlock(id)
	err := s.db.Update(func(tx *bolt.Tx) error { return deleteUploadRecord(tx, id) })
	if err != nil {
		return err
	}
	return s.removePart(id)
}

func deleteUploadRecord(tx *bolt.Tx, id string) error {
	uploads := tx.Bucket(bucketUploads)
	var rec uploadRecord
	ok, err := get(uploads, []byte(id), &rec)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("upload")
	}
	if err := uploads.Delete([]byte(id)); err != nil {
		return err
	}
	reserved := tx.Bucket(bucketReserved)
	if rec.Kind != KindReply && string(reserved.Get([]byte(rec.SubmissionID))) == id {
		return reserved.Delete([]byte(rec.SubmissionID))
	}
	return nil
}

func (s *BoltStore) removePart(id string) error {
	err := os.Remove(s.partPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: remove upload file: %w", err)
	}
	if err := syncDir(filepath.Join(s.dir, uploadsDir)); err != nil {
		return fmt.Errorf("store: sync upload directory: %w", err)
	}
	return nil
}
