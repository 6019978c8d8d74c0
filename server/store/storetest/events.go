package storetest

import (
	"context"
	"slices"
	"testing"

	"refuge/server/store"
)

func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	for range 4 {
		sub := submit(t, s, Data(10))
		if err := s.MarkCollected(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
	}
	all := events(t, s) // 4 × created, completed, collected
	if len(all) != 12 || all[0].Seq != 1 || all[0].Prev != [32]byte{} {
		t.Fatalf("log has %d events starting at %d, want 12 from 1", len(all), all[0].Seq)
	}
	prev := [32]byte{}
	for from := uint64(1); from <= 12; from += 5 {
		page, err := s.Events(ctx, from, 5)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(5, 13-int(from)); len(page) != want || page[0].Seq != from {
			t.Fatalf("Events(%d, 5): %d entries", from, len(page))
		}
		if prev, err = store.VerifyEvents(prev, page); err != nil {
			t.Fatalf("page from %d: %v", from, err)
		}
	}
	if page, err := s.Events(ctx, 13, 5); err != nil || len(page) != 0 {
		t.Fatalf("Events past the end: %v, %v", page, err)
	}
	if page, err := s.Events(ctx, 0, 0); err != nil || len(page) != 12 {
		t.Fatalf("Events with no limit: %d, %v", len(page), err)
	}
	tampered := slices.Clone(all)
	tampered[5].SHA256[0] ^= 1
	if _, err := store.VerifyEvents([32]byte{}, tampered); err == nil {
		t.Fatal("VerifyEvents accepted a changed entry")
	}
	if _, err := store.VerifyEvents([32]byte{}, append(slices.Clone(all[:3]), all[4:]...)); err == nil {
		t.Fatal("VerifyEvents accepted a dropped entry")
	}
}
