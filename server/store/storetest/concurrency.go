package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"refuge/server/store"
)

func testConcurrent(t *testing.T, s store.Store) {
	const uploads, chunk, chunks = 16, 4096, 8
	var wg sync.WaitGroup
	errs := make(chan error, uploads)
	sums := make([][32]byte, uploads)
	subs := make([]store.Submission, uploads)
	for i := range uploads {
		wg.Go(func() {
			ctx := context.Background()
			data := Data(chunk * chunks)
			sums[i] = sha256.Sum256(data)
			u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
			if err := s.CreateUpload(ctx, u); err != nil {
				errs <- err
				return
			}
			for off := int64(0); off < int64(len(data)); off += chunk {
				if _, err := s.WriteChunk(ctx, u.ID, off, bytes.NewReader(data[off:off+chunk]), nil); err != nil {
					errs <- err
					return
				}
			}
			sub, err := s.Complete(ctx, u.ID, nil)
			if err != nil {
				errs <- err
				return
			}
			subs[i] = sub
		})
	}
	wg.Go(func() {
		for range 5 {
			if _, err := s.ExpireUploads(context.Background(), day); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent upload: %v", err)
	}
	for i, sub := range subs {
		if sub.SHA256 != sums[i] {
			t.Fatalf("upload %d: ciphertext hash differs", i)
		}
		c, err := s.OpenCiphertext(context.Background(), sub.ID)
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		if got := sha256.Sum256(readAll(t, c)); got != sums[i] {
			t.Fatalf("upload %d: stored ciphertext differs", i)
		}
	}
	if evs := events(t, s); len(evs) != 2*uploads {
		t.Fatalf("%d events, want %d", len(evs), 2*uploads)
	}
}

// Many uploads race for one submission id: exactly one wins, and the
// losers leave nothing behind.
func testConcurrentSameSubmission(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := NewID(t)
	const racers = 16
	errs := make([]error, racers)
	ids := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			u := newUpload(t, store.KindAnonymous, sub, 4)
			ids[i] = u.ID
			errs[i] = s.CreateUpload(ctx, u)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatal("two uploads reserved the same submission id")
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrExists):
			t.Fatalf("losing racer: %v, want ErrExists", err)
		default:
			if _, err := s.Upload(ctx, ids[i]); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a losing racer's upload exists: %v", err)
			}
		}
	}
	if winner < 0 {
		t.Fatal("no racer won")
	}
	write(t, s, ids[winner], 0, []byte("wins"))
	if got := complete(t, s, ids[winner]); got.ID != sub {
		t.Fatalf("submission %s, want %s", got.ID, sub)
	}
	created := 0
	for _, e := range events(t, s) {
		if e.Type == store.EventCreated {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d created events, want 1", created)
	}
}
