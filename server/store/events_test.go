package store_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"refuge/server/store"
)

// The encoding of docs/events.md, pinned: couriers in any language must
// get the same hash. Reproduce with
//
//	printf 'refuge-event-v1 1 2026-11-30 completed 0123…ef ab00…00 00…00\n' | sha256sum
func TestEventHashKnownAnswer(t *testing.T) {
	e := store.Event{Seq: 1, Day: "2026-11-30", Type: store.EventCompleted, SubmissionID: "0123456789abcdef0123456789abcdef"}
	e.SHA256[0] = 0xab
	wantLine := "refuge-event-v1 1 2026-11-30 completed 0123456789abcdef0123456789abcdef " +
		"ab00000000000000000000000000000000000000000000000000000000000000 " +
		"0000000000000000000000000000000000000000000000000000000000000000\n"
	if got := store.EventLine(e); got != wantLine {
		t.Fatalf("EventLine = %q, want %q", got, wantLine)
	}
	const wantHash = "bd055d5af35609ad5e524dab719862498cc2cc3439b018aaf1dcf0a0b088f678"
	if got := store.EventHash(e); hex.EncodeToString(got[:]) != wantHash {
		t.Fatalf("EventHash = %x, want %s", got, wantHash)
	}
}

func TestVerifyEventsRefusesMalformed(t *testing.T) {
	good := func() store.Event {
		e := store.Event{Seq: 1, Day: "2026-11-30", Type: store.EventCreated, SubmissionID: "0123456789abcdef0123456789abcdef"}
		e.Hash = store.EventHash(e)
		return e
	}
	if _, err := store.VerifyEvents([32]byte{}, []store.Event{good()}); err != nil {
		t.Fatalf("good event refused: %v", err)
	}
	tests := []struct {
		desc   string
		change func(e *store.Event)
	}{
		{"zero seq", func(e *store.Event) { e.Seq = 0 }},
		{"space in day", func(e *store.Event) { e.Day = "2026-11-30 created" }},
		{"space in id", func(e *store.Event) { e.SubmissionID = "0123456789abcdef 123456789abcdef" }},
		{"unknown type", func(e *store.Event) { e.Type = "rewritten" }},
		{"empty type", func(e *store.Event) { e.Type = "" }},
		{"wrong prev", func(e *store.Event) { e.Prev[3] = 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			e := good()
			tc.change(&e)
			e.Hash = store.EventHash(e) // a server could recompute the hash
			if _, err := store.VerifyEvents([32]byte{}, []store.Event{e}); err == nil {
				t.Fatal("VerifyEvents accepted it")
			}
		})
	}
}

// FuzzIdentifiers feeds arbitrary identifiers to every lookup: each must
// answer not found (or invalid), never an error from the file system,
// and never reach a file outside the store.
func FuzzIdentifiers(f *testing.F) {
	for _, seed := range []string{
		"", "0123456789abcdef0123456789abcdef", "../refuge.db", "..%2F..%2Frefuge", "//",
		"0123456789abcdef0123456789abcde/", "0123456789ABCDEF0123456789ABCDEF", "../../../../../../etc/passwd",
		"0123456789abcdef0123456789abcdef.part", "\x00", "blobs/../refuge",
	} {
		f.Add(seed)
	}
	s, err := store.Open(f.TempDir(), store.Options{Now: testNow})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, id string) {
		_, err := s.Upload(ctx, id)
		checkLookup(t, "Upload", err)
		_, err = s.Submission(ctx, id)
		checkLookup(t, "Submission", err)
		_, err = s.OpenCiphertext(ctx, id)
		checkLookup(t, "OpenCiphertext", err)
		_, err = s.OpenReply(ctx, id, id)
		checkLookup(t, "OpenReply", err)
		_, err = s.WriteChunk(ctx, id, 0, nil, nil)
		checkLookup(t, "WriteChunk", err)
		_, err = s.Complete(ctx, id, nil)
		checkLookup(t, "Complete", err)
		checkLookup(t, "DeleteUpload", s.DeleteUpload(ctx, id))
		checkLookup(t, "MarkCollected", s.MarkCollected(ctx, id))
		checkLookup(t, "DeleteSubmission", s.DeleteSubmission(ctx, id, [32]byte{}))
		checkLookup(t, "RevokeToken", s.RevokeToken(ctx, store.RolePartner, id))
	})
}

func checkLookup(t *testing.T, what string, err error) {
	if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("%s: %v, want not found", what, err)
	}
}
