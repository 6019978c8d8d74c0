package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"refuge/server/store"
)

// WriteLastChunk: the chunk that fills the upload completes it; a chunk
// that stops short is only written; a rejected one deletes the upload.
func testWriteLastChunk(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(3<<20 + 17)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	half := int64(len(data) / 2)
	write(t, s, u.ID, 0, data[:half])
	var seen []byte
	check := func(r io.Reader) error {
		var err error
		seen, err = io.ReadAll(r)
		return err
	}
	errCut := errors.New("connection reset")
	n, err := s.WriteLastChunk(ctx, u.ID, half, &cutReader{bytes.NewReader(data[half : half+1000]), errCut}, nil, check)
	wantErr(t, "cut last chunk", err, errCut)
	if n != half+1000 || offsetOf(t, s, u.ID) != n || seen != nil {
		t.Fatalf("cut last chunk: offset %d, checked %v; want %d, kept and not completed", n, seen != nil, half+1000)
	}
	n, err = s.WriteLastChunk(ctx, u.ID, n, bytes.NewReader(data[n:]), nil, check)
	if err != nil || n != u.Length {
		t.Fatalf("last chunk: %d, %v", n, err)
	}
	if !bytes.Equal(seen, data) {
		t.Fatal("check did not see the ciphertext from its start")
	}
	sub, err := s.Submission(ctx, u.SubmissionID)
	if err != nil || sub.Status != store.StatusReceived {
		t.Fatalf("submission after the last chunk: %+v, %v", sub, err)
	}
	_, err = s.Upload(ctx, u.ID)
	wantErr(t, "upload after its last chunk", err, store.ErrNotFound)
	if e := lastEvent(t, s); e.Type != store.EventCompleted || e.SHA256 != sub.SHA256 {
		t.Fatalf("last event %+v, want completed", e)
	}
	checkStored(t, s, sub, data) // hash, size and bytes
}

func testWriteLastChunkRejected(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("not "))
	errNotAge := errors.New("not an age file")
	_, err := s.WriteLastChunk(ctx, u.ID, 4, bytes.NewReader([]byte("an age")), nil, func(io.Reader) error { return errNotAge })
	wantErr(t, "rejected last chunk", err, store.ErrRejected, errNotAge)
	_, err = s.Upload(ctx, u.ID)
	wantErr(t, "rejected upload", err, store.ErrNotFound)
	_, err = s.Submission(ctx, u.SubmissionID)
	wantErr(t, "rejected submission", err, store.ErrNotFound)
	create(t, s, newUpload(t, store.KindAnonymous, u.SubmissionID, 1))
}

// A full upload left uncompleted (a crash before completion) completes
// with an empty last chunk; a bad checksum keeps nothing.
func testWriteLastChunkEdges(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(5000)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	bad := sha256.Sum256([]byte("other"))
	n, err := s.WriteLastChunk(ctx, u.ID, 0, bytes.NewReader(data), &store.Checksum{Algorithm: "sha256", Digest: bad[:]}, nil)
	wantErr(t, "last chunk with a bad checksum", err, store.ErrChecksum)
	if n != 0 || offsetOf(t, s, u.ID) != 0 {
		t.Fatalf("bad checksum: offset %d, want 0", n)
	}
	write(t, s, u.ID, 0, data)
	n, err = s.WriteLastChunk(ctx, u.ID, u.Length, bytes.NewReader(nil), nil, nil)
	if err != nil || n != u.Length {
		t.Fatalf("empty last chunk of a full upload: %d, %v", n, err)
	}
	if sub, err := s.Submission(ctx, u.SubmissionID); err != nil || sub.SHA256 != sha256.Sum256(data) {
		t.Fatalf("submission: %+v, %v", sub, err)
	}
}
