package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"refuge/internal/lowerhex"
)

// Complete checks a fully received upload, renames its part file into
// place and, in one transaction, checks that the token that created the
// upload is still active (creatorActive), replaces the upload record by
// the submission (or adds the reply to its submission) and appends the
// event.
//
// The rename is made durable before the commit. A crash between the two
// leaves the file renamed and the upload recorded; Open renames it back,
// so the store is as before the call and the client can complete again.
// A completion that cannot be decided (ErrUndecided) leaves it so too.
func (s *BoltStore) Complete(ctx context.Context, id string, check func(ciphertext io.Reader) error) (Submission, error) {
	if !lowerhex.ID(id) {
		return Submission{}, notFound("upload")
	}
	if err := ctx.Err(); err != nil {
		return Submission{}, err
	}
	if !s.lock(id) {
		return Submission{}, fmt.Errorf("upload: %w", ErrLocked)
	}
	defer s.unlock(id)

	var rec uploadRecord
	if err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = s.liveUpload(tx, id)
		return err
	}); err != nil {
		return Submission{}, err
	}
	if rec.Offset < rec.Length {
		return Submission{}, fmt.Errorf("%d of %d bytes: %w", rec.Offset, rec.Length, ErrIncomplete)
	}
	if check != nil {
		if err := s.checkPart(&rec, check); err != nil {
			return Submission{}, err
		}
	}
	return s.place(&rec, nil)
}

// place is the end of Complete, with the upload locked and checked and
// all its bytes (rec.Offset == rec.Length, hashed into rec.HashState) in
// its part file: the part file becomes the blob and one commit replaces
// the upload by its submission or reply. If the bytes are not durable
// yet, syncData makes them so; it runs after the rename, so that on a
// journaling file system one journal commit carries both.
func (s *BoltStore) place(rec *uploadRecord, syncData func() error) (Submission, error) {
	id := rec.ID
	running := sha256.New()
	if err := running.(encoding.BinaryUnmarshaler).UnmarshalBinary(rec.HashState); err != nil {
		return Submission{}, fmt.Errorf("store: corrupt hash state: %w", err)
	}
	var digest sum
	running.Sum(digest[:0])

	s.fsMu.RLock()
	defer s.fsMu.RUnlock()
	today := s.today()
	dst, err := s.placeBlob(rec, today)
	if err != nil {
		if dst != "" {
			s.unplace(dst, id)
		}
		return Submission{}, err
	}
	if syncData != nil {
		if err := syncData(); err != nil {
			s.unplace(dst, id)
			return Submission{}, err
		}
	}
	var out submissionRecord
	var revoked bool
	// The new name is durable before the commit (see placeBlob). The
	// token is asked in the commit's own transaction: bbolt runs one
	// writer at a time, so no revocation can come between the answer and
	// the commit.
	err = s.gc.updateAfterSync(filepath.Dir(dst), func(tx *bolt.Tx) error {
		revoked = false // the function may run twice
		if err := creatorActive(tx, rec); errors.Is(err, ErrRevoked) {
			revoked = true
			return deleteUploadRecord(tx, id)
		} else if err != nil {
			return err
		}
		if err := deleteUploadRecord(tx, id); err != nil {
			return err
		}
		var err error
		if rec.Kind == KindReply {
			out, err = addReply(tx, rec, digest, today)
		} else {
			out, err = addSubmission(tx, rec, digest, today)
		}
		return err
	})
	if err != nil {
		s.unplace(dst, id)
		return Submission{}, err
	}
	if revoked {
		// Nothing references the file now; if it cannot go, the sweep
		// removes it.
		if os.Remove(dst) == nil {
			_ = syncDir(filepath.Dir(dst))
		}
		return Submission{}, fmt.Errorf("%w: %w", ErrRejected, ErrRevoked)
	}
	return out.submission(), nil
}

// creatorActive tells, inside a transaction, whether the partner's or the
// courier's token that created an upload may still finish it: nil if it
// may (and for an upload that names neither), ErrRevoked if not, an
// error wrapping ErrUndecided if the token record cannot be read. The
// same rule refuses PATCH and HEAD (CreatorActive): the active token of the upload's role and name (always at its tokenKey)
// must be the one that created it; for an upload recorded before
// CreatorToken existed, the name must have had that one token only (no
// retired record beside it).
func creatorActive(tx *bolt.Tx, rec *uploadRecord) error {
	role, name := RolePartner, rec.Partner
	if rec.Courier != "" {
		role, name = RoleCourier, rec.Courier
	}
	if name == "" {
		return nil
	}

	b := tx.Bucket(bucketTokens)
	key := tokenKey(role, name)
	var cur tokenRecord
	ok, err := get(b, key, &cur)
	if err != nil {
		return fmt.Errorf("%w: token look-up: %w", ErrUndecided, err)
	}
	if !ok || cur.Revoked {
		return ErrRevoked
	}
	if rec.CreatorToken != nil {
		if subtle.ConstantTimeCompare(cur.Verifier[:], rec.CreatorToken[:]) != 1 {
			return ErrRevoked
		}
		return nil
	}
	retired := append(key, 0)
	if k, _ := b.Cursor().Seek(retired); bytes.HasPrefix(k, retired) {
		return ErrRevoked
	}
	return nil
}

// checkPart runs check over the part file; if it refuses the content the
// upload is deleted and ErrRejected returned, wrapping check's error. If
// check says it cannot decide (its error wraps ErrUndecided), or the
// part file could not be read, the upload stays as it is and the error
// wraps ErrUndecided: a fault of the server's own disk is no reason to
// delete what a client sent.
func (s *BoltStore) checkPart(rec *uploadRecord, check func(io.Reader) error) error {
	f, err := os.Open(s.partPath(rec.ID)) // #nosec G304 -- path is built from a validated hex ID
	if err != nil {
		return fmt.Errorf("%w: open upload file: %w", ErrUndecided, err)
	}
	r := &readErrs{r: io.NewSectionReader(f, 0, rec.Length)}
	cerr := check(r)
	_ = f.Close() // read only
	switch {
	case cerr == nil:
		return nil
	case errors.Is(cerr, ErrUndecided):
		return cerr
	case r.err != nil:
		return fmt.Errorf("%w: read upload file: %w", ErrUndecided, r.err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return deleteUploadRecord(tx, rec.ID) }); err != nil {
		return err
	}
	_ = s.removePart(rec.ID) // unreferenced now: the sweep removes it if this fails
	return fmt.Errorf("%w: %w", ErrRejected, cerr)
}

// readErrs is a reader that remembers its first error other than io.EOF.
type readErrs struct {
	r   io.Reader
	err error
}

func (r *readErrs) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// unplace puts a finished upload's file back where its upload record
// expects it, after a failure. If this fails too, Open puts it back (see
// undoPlace).
func (s *BoltStore) unplace(dst, id string) {
	if err := os.Rename(dst, s.partPath(id)); err == nil {
		_ = syncDir(filepath.Join(s.dir, uploadsDir))
	}
}

// placeBlob renames the part file to its final name and dates it. It
// returns the new path, also with an error if the rename happened (the
// caller then puts the file back). The caller makes the rename durable
// (an fsync of the new name's directory) before it commits: only the new
// name must be. If the old name came back after a crash, it would be an
// unreferenced part file and Open would remove it.
func (s *BoltStore) placeBlob(rec *uploadRecord, today Day) (string, error) {
	dst := s.blobPath(rec.SubmissionID)
	if rec.Kind == KindReply {
		dir := s.replyDir(rec.SubmissionID)
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			err = syncDir(filepath.Join(s.dir, repliesDir))
		} else if os.IsExist(err) {
			err = nil
		}
		if err != nil {
			return "", fmt.Errorf("store: create reply directory: %w", err)
		}
		dst = s.replyPath(rec.SubmissionID, rec.ID)
	}
	if err := os.Rename(s.partPath(rec.ID), dst); err != nil {
		return "", fmt.Errorf("store: move finished upload: %w", err)
	}
	if err := setDay(dst, today); err != nil {
		return dst, fmt.Errorf("store: date finished upload: %w", err)
	}
	return dst, nil
}

func addSubmission(tx *bolt.Tx, rec *uploadRecord, digest sum, today Day) (submissionRecord, error) {
	subs := tx.Bucket(bucketSubmissions)
	if subs.Get([]byte(rec.SubmissionID)) != nil {
		return submissionRecord{}, fmt.Errorf("submission: %w", ErrExists)
	}
	if rec.CreatedPending {
		// The day the upload began: the log keeps what it said before
		// the event moved here, for every submission that completes.
		if _, err := appendEvent(tx, rec.Created, EventCreated, rec.SubmissionID, sum{}); err != nil {
			return submissionRecord{}, err
		}
	}
	e, err := appendEvent(tx, today, EventCompleted, rec.SubmissionID, digest)
	if err != nil {
		return submissionRecord{}, err
	}
	sub := submissionRecord{
		ID: rec.SubmissionID, Seq: e.Seq, Kind: rec.Kind, Verifier: rec.Verifier, Partner: rec.Partner,
		Received: today, Status: StatusReceived, Size: rec.Length, SHA256: digest,
	}
	return sub, put(subs, []byte(sub.ID), &sub)
}

func addReply(tx *bolt.Tx, rec *uploadRecord, digest sum, today Day) (submissionRecord, error) {
	subs := tx.Bucket(bucketSubmissions)
	var sub submissionRecord
	ok, err := get(subs, []byte(rec.SubmissionID), &sub)
	if err != nil {
		return sub, err
	}
	if !ok {
		return sub, notFound("submission")
	}
	sub.Replies = append(sub.Replies, replyRecord{ID: rec.ID, Size: rec.Length, SHA256: digest, Created: today})
	if sub.Status != StatusDeleted {
		sub.Status = StatusReplied
	}
	if _, err := appendEvent(tx, today, EventReplied, sub.ID, digest); err != nil {
		return sub, err
	}
	return sub, put(subs, []byte(sub.ID), &sub)
}

// CreatorActive answers, in a read-only transaction, creatorActive's
// question for u: the server asks it before it goes on with a PATCH or a
// HEAD, and Complete asks it again in the transaction that commits.
func (s *BoltStore) CreatorActive(_ context.Context, u Upload) error {
	rec := uploadRecord{Partner: u.Partner, Courier: u.Courier}
	if u.CreatorToken != [32]byte{} {
		rec.CreatorToken = (*sum)(&u.CreatorToken)
	}
	err := s.db.View(func(tx *bolt.Tx) error { return creatorActive(tx, &rec) })
	if err != nil && !errors.Is(err, ErrRevoked) && !errors.Is(err, ErrUndecided) {
		return fmt.Errorf("%w: %w", ErrUndecided, err)
	}
	return err
}
