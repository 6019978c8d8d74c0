// Package storetest is the behaviour every [store.Store] must have, as one
// test suite. An implementation's tests call [Run] with a function that
// opens a fresh, empty store; the suite exercises every method's contract
// through the interface only, so it runs unchanged against any store.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"refuge/server/store"
)

// Run runs the suite. open returns a new, empty store for each subtest and
// arranges for it to be closed (t.Cleanup); the suite never closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateUpload", testCreateUpload},
		{"CreateUploadInvalid", testCreateUploadInvalid},
		{"CreateUploadTaken", testCreateUploadTaken},
		{"UploadExpired", testUploadExpired},
		{"WriteChunks", testWriteChunks},
		{"WriteChunkOffsetMismatch", testWriteChunkOffsetMismatch},
		{"WriteChunkTooLarge", testWriteChunkTooLarge},
		{"WriteChunkChecksum", testWriteChunkChecksum},
		{"WriteChunkCut", testWriteChunkCut},
		{"WriteChunkLocked", testWriteChunkLocked},
		{"WriteChunkUnknown", testWriteChunkUnknown},
		{"Complete", testComplete},
		{"CompleteIncomplete", testCompleteIncomplete},
		{"CompleteRejected", testCompleteRejected},
		{"CompleteUndecided", testCompleteUndecided},
		{"CompleteCreatorRevoked", testCompleteCreatorRevoked},
		{"WriteLastChunk", testWriteLastChunk},
		{"WriteLastChunkRejected", testWriteLastChunkRejected},
		{"WriteLastChunkEdges", testWriteLastChunkEdges},
		{"EmptyUpload", testEmptyUpload},
		{"Reply", testReply},
		{"DeleteUpload", testDeleteUpload},
		{"ExpireUploads", testExpireUploads},
		{"Ciphertext", testCiphertext},
		{"MarkCollected", testMarkCollected},
		{"DeleteSubmission", testDeleteSubmission},
		{"Submissions", testSubmissions},
		{"SubmissionsAfter", testSubmissionsAfter},
		{"Tokens", testTokens},
		{"TokensInvalid", testTokensInvalid},
		{"TokenNewAfterRevoke", testTokenNewAfterRevoke},
		{"Manifest", testManifest},
		{"Events", testEvents},
		{"Concurrent", testConcurrent},
		{"ConcurrentSameSubmission", testConcurrentSameSubmission},
		{"FreeSpace", testFreeSpace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

const (
	day     = store.Day("2026-11-30")
	future  = store.Day("2999-12-31")
	past    = store.Day("2001-01-01")
	badHash = "0000000000000000000000000000000000000000000000000000000000000000"
)

// NewID returns a fresh random identifier in the store's format.
func NewID(t testing.TB) string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Data returns n random bytes.
func Data(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func newUpload(t testing.TB, kind store.Kind, sub string, length int64) store.Upload {
	return store.Upload{
		ID: NewID(t), Length: length, Created: day, Expires: future, Kind: kind,
		SubmissionID: sub, Verifier: sha256.Sum256([]byte("token " + sub)),
	}
}

func create(t testing.TB, s store.Store, u store.Upload) {
	t.Helper()
	if err := s.CreateUpload(context.Background(), u); err != nil {
		t.Fatalf("CreateUpload: %v", err)
	}
}

func write(t testing.TB, s store.Store, id string, off int64, data []byte) int64 {
	t.Helper()
	n, err := s.WriteChunk(context.Background(), id, off, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatalf("WriteChunk at %d: %v", off, err)
	}
	if want := off + int64(len(data)); n != want {
		t.Fatalf("WriteChunk returned offset %d, want %d", n, want)
	}
	return n
}

func complete(t testing.TB, s store.Store, id string) store.Submission {
	t.Helper()
	sub, err := s.Complete(context.Background(), id, func(io.Reader) error { return nil })
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	return sub
}

// submit stores data as a complete anonymous submission and returns it.
func submit(t testing.TB, s store.Store, data []byte) store.Submission {
	t.Helper()
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	write(t, s, u.ID, 0, data)
	return complete(t, s, u.ID)
}

func wantErr(t testing.TB, what string, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("%s: got error %v, want %v", what, err, target)
		}
	}
}

func offsetOf(t testing.TB, s store.Store, id string) int64 {
	t.Helper()
	u, err := s.Upload(context.Background(), id)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	return u.Offset
}

func readAll(t testing.TB, c store.Ciphertext) []byte {
	t.Helper()
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read ciphertext: %v", err)
	}
	return b
}

// events returns the whole log, checking its chain.
func events(t testing.TB, s store.Store) []store.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), 0, 1<<20)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if _, err := store.VerifyEvents([32]byte{}, evs); err != nil {
		t.Fatalf("event log does not verify: %v", err)
	}
	return evs
}

func lastEvent(t testing.TB, s store.Store) store.Event {
	t.Helper()
	evs := events(t, s)
	if len(evs) == 0 {
		t.Fatal("event log is empty")
	}
	return evs[len(evs)-1]
}
