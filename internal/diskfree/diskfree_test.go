package diskfree

import (
	"math"
	"runtime"
	"testing"
)

// Blocks times block size saturates instead of wrapping round to a small
// (or negative) figure that a check of free space would take for room.
func TestBytesOfSaturates(t *testing.T) {
	for _, tc := range []struct {
		blocks, size uint64
		want         int64
	}{
		{10, 4096, 40960},
		{0, 4096, 0},
		{5, 0, 0},
		{math.MaxUint64, 4096, math.MaxInt64},
		{math.MaxInt64/4096 + 1, 4096, math.MaxInt64},
	} {
		if got := bytesOf(tc.blocks, tc.size); got != tc.want {
			t.Errorf("bytesOf(%d, %d) = %d, want %d", tc.blocks, tc.size, got, tc.want)
		}
	}
}

// On the systems it knows, a real folder has a known, positive free space;
// a folder that does not exist is an error.
func TestAvailable(t *testing.T) {
	n, known, err := Available(t.TempDir())
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		if known || err != nil {
			t.Fatalf("Available on %s: %d, %v, %v; want unknown", runtime.GOOS, n, known, err)
		}
		return
	}
	if err != nil || !known || n <= 0 {
		t.Fatalf("Available: %d, %v, %v; want a known positive figure", n, known, err)
	}
	if _, _, err := Available(t.TempDir() + "/missing"); err == nil {
		t.Fatal("Available of a missing folder gave no error")
	}
}
