package server

import (
	"strconv"
	"testing"
	"time"
)

// TestBucketsBounded: the per-upload table never holds more than its
// bound. When full it drops the buckets that have refilled and keeps one
// still spent, so that upload stays limited; when every bucket is spent
// it starts afresh.
func TestBucketsBounded(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	bs := newBuckets(1, 2, 4) // one token a second, burst 2, 4 buckets
	bs.allow("spent", t0)
	bs.allow("spent", t0)
	for i := range 3 {
		bs.allow(strconv.Itoa(i), t0) // one token left each
	}
	t1 := t0.Add(1500 * time.Millisecond) // the three are full again; "spent" has 1.5 tokens
	bs.allow("new", t1)
	if n := bs.len(); n != 2 {
		t.Fatalf("%d buckets after dropping the refilled ones, want 2", n)
	}
	if !bs.allow("spent", t1) || bs.allow("spent", t1) {
		t.Fatal("the spent upload's bucket was not kept")
	}

	bs = newBuckets(0.001, 2, 4)
	for i := range 4 {
		bs.allow(strconv.Itoa(i), t0)
	}
	bs.allow("new", t0.Add(time.Second)) // none has refilled
	if n := bs.len(); n != 1 {
		t.Fatalf("%d buckets after a full table of spent ones, want 1", n)
	}

	bs = newBuckets(0.001, 2, 4)
	for i := range 1000 {
		bs.allow(strconv.Itoa(i), t0.Add(time.Duration(i)*time.Millisecond))
		if n := bs.len(); n > 4 {
			t.Fatalf("%d buckets, bound 4", n)
		}
	}
}
