package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"refuge/server/store"
)

func testCreateUpload(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, kind := range []store.Kind{store.KindAnonymous, store.KindRelay, store.KindReferral} {
		u := newUpload(t, kind, NewID(t), 1000)
		u.Partner = "Front Line Defenders"
		if kind != store.KindAnonymous {
			u.CreatorToken = sha256.Sum256([]byte("the partner's token"))
		}
		create(t, s, u)
		got, err := s.Upload(ctx, u.ID)
		if err != nil {
			t.Fatalf("Upload: %v", err)
		}
		if got != u {
			t.Fatalf("Upload returned %+v, want %+v", got, u)
		}
		// The created event waits for the completion: an upload that
		// never completes leaves nothing in the log.
		if evs := events(t, s); len(evs) != 0 {
			t.Fatalf("creation logged %+v", evs)
		}
	}
	_, err := s.Upload(ctx, NewID(t))
	wantErr(t, "Upload of unknown id", err, store.ErrNotFound)

	// A completion logs it, dated the day the upload was created, then
	// the completed event.
	last := newUpload(t, store.KindAnonymous, NewID(t), 1000)
	create(t, s, last)
	data := Data(int(last.Length))
	write(t, s, last.ID, 0, data)
	complete(t, s, last.ID)
	evs := events(t, s)
	if len(evs) != 2 || evs[0].Type != store.EventCreated || evs[0].SubmissionID != last.SubmissionID || evs[0].Day != day ||
		evs[1].Type != store.EventCompleted || evs[1].SubmissionID != last.SubmissionID || evs[1].SHA256 != sha256.Sum256(data) {
		t.Fatalf("log after the completion: %+v, want created on %s and completed", evs, day)
	}
}

func testCreateUploadInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		desc   string
		change func(u *store.Upload)
	}{
		{"empty id", func(u *store.Upload) { u.ID = "" }},
		{"short id", func(u *store.Upload) { u.ID = u.ID[:31] }},
		{"upper case id", func(u *store.Upload) { u.ID = "ABCDEF" + u.ID[6:] }},
		{"path in id", func(u *store.Upload) { u.ID = "../../../../../../../../etc/pwd" }},
		{"slash in id", func(u *store.Upload) { u.ID = u.ID[:15] + "/" + u.ID[16:] }},
		{"bad submission id", func(u *store.Upload) { u.SubmissionID = "..%2F" }},
		{"negative length", func(u *store.Upload) { u.Length = -1 }},
		{"non-zero offset", func(u *store.Upload) { u.Offset = 5 }},
		{"unknown kind", func(u *store.Upload) { u.Kind = "admin" }},
		{"no expiry", func(u *store.Upload) { u.Expires = "" }},
		{"bad expiry", func(u *store.Upload) { u.Expires = "2026-02-30" }},
		{"bad created", func(u *store.Upload) { u.Created = "yesterday" }},
		{"control in partner", func(u *store.Upload) { u.Partner = "a\nb" }},
		{"long partner", func(u *store.Upload) { u.Partner = string(bytes.Repeat([]byte("p"), 65)) }},
		{"control in courier", func(u *store.Upload) { u.Courier = "desk\x1b[2J" }},
		{"creator token of nobody", func(u *store.Upload) { u.CreatorToken = sha256.Sum256([]byte("t")) }},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			u := newUpload(t, store.KindAnonymous, NewID(t), 10)
			tc.change(&u)
			wantErr(t, "CreateUpload", s.CreateUpload(ctx, u), store.ErrInvalid)
			if _, err := s.Upload(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("refused upload is visible: %v", err)
			}
		})
	}
	if evs := events(t, s); len(evs) != 0 {
		t.Fatalf("refused uploads left %d events", len(evs))
	}
}

func testCreateUploadTaken(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)

	again := newUpload(t, store.KindAnonymous, NewID(t), 10)
	again.ID = u.ID
	wantErr(t, "same upload id", s.CreateUpload(ctx, again), store.ErrExists)

	same := newUpload(t, store.KindRelay, u.SubmissionID, 10)
	wantErr(t, "reserved submission id", s.CreateUpload(ctx, same), store.ErrExists)

	done := submit(t, s, []byte("0123456789"))
	wantErr(t, "existing submission id", s.CreateUpload(ctx, newUpload(t, store.KindAnonymous, done.ID, 10)), store.ErrExists)

	wantErr(t, "reply to nothing", s.CreateUpload(ctx, newUpload(t, store.KindReply, NewID(t), 10)), store.ErrNotFound)
	if got := offsetOf(t, s, u.ID); got != 0 {
		t.Fatalf("first upload changed: offset %d", got)
	}
}

func testUploadExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	u.Expires = past
	create(t, s, u)
	_, err := s.Upload(ctx, u.ID)
	wantErr(t, "Upload of expired", err, store.ErrNotFound, store.ErrGone)
	_, err = s.WriteChunk(ctx, u.ID, 0, bytes.NewReader([]byte("x")), nil)
	wantErr(t, "WriteChunk to expired", err, store.ErrNotFound)
	_, err = s.Complete(ctx, u.ID, nil)
	wantErr(t, "Complete of expired", err, store.ErrNotFound)

	// An expired upload no longer holds its submission id: its client,
	// told it expired, sends the submission again before the sweep.
	again := newUpload(t, store.KindAnonymous, u.SubmissionID, 4)
	create(t, s, again)
	// One that has not expired still holds it.
	wantErr(t, "id held by the new upload", s.CreateUpload(ctx, newUpload(t, store.KindAnonymous, u.SubmissionID, 4)), store.ErrExists)
	// The sweep removes the expired upload and leaves the new one, which
	// still holds the id and completes.
	if n, err := s.ExpireUploads(ctx, day); err != nil || n != 1 {
		t.Fatalf("ExpireUploads: %d, %v; want 1", n, err)
	}
	wantErr(t, "id held after the sweep", s.CreateUpload(ctx, newUpload(t, store.KindAnonymous, u.SubmissionID, 4)), store.ErrExists)
	write(t, s, again.ID, 0, []byte("wxyz"))
	if sub := complete(t, s, again.ID); sub.ID != u.SubmissionID || sub.SHA256 != sha256.Sum256([]byte("wxyz")) {
		t.Fatalf("the new upload completed as %+v", sub)
	}
	_, err = s.Upload(ctx, u.ID)
	wantErr(t, "expired upload after the sweep", err, store.ErrNotFound)
}

func testDeleteUpload(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("abc"))
	if err := s.DeleteUpload(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUpload: %v", err)
	}
	_, err := s.Upload(ctx, u.ID)
	wantErr(t, "deleted upload", err, store.ErrNotFound)
	wantErr(t, "second delete", s.DeleteUpload(ctx, u.ID), store.ErrNotFound)
	_, err = s.WriteChunk(ctx, u.ID, 3, bytes.NewReader([]byte("d")), nil)
	wantErr(t, "write to deleted upload", err, store.ErrNotFound)
	// The submission id is free again, and the upload id too.
	create(t, s, newUpload(t, store.KindAnonymous, u.SubmissionID, 10))
	again := newUpload(t, store.KindAnonymous, NewID(t), 4)
	again.ID = u.ID
	create(t, s, again)
	write(t, s, again.ID, 0, []byte("wxyz"))
	if sub := complete(t, s, again.ID); sub.SHA256 != sha256.Sum256([]byte("wxyz")) {
		t.Fatal("a recreated upload kept bytes of the deleted one")
	}
}

func testExpireUploads(t *testing.T, s store.Store) {
	ctx := context.Background()
	var expired, kept []store.Upload
	for i := range 6 {
		u := newUpload(t, store.KindAnonymous, NewID(t), 10)
		u.Expires = []store.Day{"2026-11-29", "2026-11-30", "2026-12-01"}[i%3]
		create(t, s, u)
		if u.Expires <= day {
			expired = append(expired, u)
		} else {
			kept = append(kept, u)
		}
	}
	sub := submit(t, s, Data(10))
	n, err := s.ExpireUploads(ctx, day)
	if err != nil || n != len(expired) {
		t.Fatalf("ExpireUploads: %d, %v; want %d", n, err, len(expired))
	}
	for _, u := range expired {
		wantErr(t, "DeleteUpload of expired", s.DeleteUpload(ctx, u.ID), store.ErrNotFound)
		create(t, s, newUpload(t, store.KindAnonymous, u.SubmissionID, 1)) // reservation freed
	}
	if n, err := s.ExpireUploads(ctx, day); err != nil || n != 0 {
		t.Fatalf("second ExpireUploads: %d, %v", n, err)
	}
	if _, err := s.ExpireUploads(ctx, "tomorrow"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("ExpireUploads with a bad day: %v", err)
	}
	for _, u := range kept {
		if err := s.DeleteUpload(ctx, u.ID); err != nil {
			t.Fatalf("an upload that had not expired is gone: %v", err)
		}
	}
	c, err := s.OpenCiphertext(ctx, sub.ID)
	if err != nil {
		t.Fatalf("expiry touched a submission: %v", err)
	}
	readAll(t, c) // reads and closes
}

func testFreeSpace(t *testing.T, s store.Store) {
	n, err := s.FreeSpace(context.Background())
	if err != nil || n <= 0 {
		t.Fatalf("FreeSpace = %d, %v; want a positive size", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.FreeSpace(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("FreeSpace with a cancelled context: %v", err)
	}
}
