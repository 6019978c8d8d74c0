package crc32c

import (
	"bytes"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

func TestCombine(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	for _, split := range []int{0, 1, 7, 4096, Block - 1, Block, Block + 1, len(data) - 1, len(data)} {
		a, b := data[:split], data[split:]
		got := Combine(Update(0, a), Update(0, b), int64(len(b)))
		if want := crc32.Checksum(data, Table); got != want {
			t.Errorf("split at %d: %08x, want %08x", split, got, want)
		}
	}
	// A long run of zeros, past what the test can hash byte by byte in
	// a blink: the operator for 2^33 zero bytes, from two of 2^32.
	crc := Update(0, []byte("refuge"))
	if got, want := Combine(crc, 0, 1<<33), Combine(Combine(crc, 0, 1<<32), 0, 1<<32); got != want {
		t.Errorf("2^33 zeros: %08x, want %08x", got, want)
	}
	zeros := make([]byte, 3<<20)
	if got, want := Combine(crc, Update(0, zeros), int64(len(zeros))), Update(crc, zeros); got != want {
		t.Errorf("3 MiB of zeros: %08x, want %08x", got, want)
	}
}

// Every range a client may ask for, over writes of every awkward size
// (age's 64 KiB + 16 chunks among them), equals the CRC of the bytes.
func TestRanges(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 10*Block+12345)
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	var r Ranges
	for p := data; len(p) > 0; {
		k := min(len(p), []int{1, 100, Block + 16, 3 * Block, 777}[rnd.IntN(5)])
		r.Write(p[:k])
		p = p[k:]
	}
	if r.Len() != int64(len(data)) || r.Sum() != crc32.Checksum(data, Table) {
		t.Fatalf("Len %d, Sum %08x; want %d, %08x", r.Len(), r.Sum(), len(data), crc32.Checksum(data, Table))
	}
	size := int64(len(data))
	for off := int64(0); off <= size; off += Block {
		for end := off; end <= size; end = min(end+Block, size) {
			got, ok := r.Range(off, end-off)
			if want := crc32.Checksum(data[off:end], Table); !ok || got != want {
				t.Fatalf("Range(%d, %d) = %08x, %v; want %08x", off, end-off, got, ok, want)
			}
			if end == size {
				break
			}
		}
	}
}

// Ranges that are not on boundaries, not yet written, or nonsense are
// refused, never answered wrongly.
func TestRangesRefuses(t *testing.T) {
	var r Ranges
	r.Write(bytes.Repeat([]byte{7}, 3*Block+5))
	for _, c := range []struct{ off, n int64 }{
		{1, Block - 1},      // off not on a boundary
		{0, Block + 1},      // end neither on a boundary nor at the end
		{Block, 3 * Block},  // past what was written
		{0, 3*Block + 6},    // one byte past the end
		{-Block, Block},     // negative offset
		{0, -1},             // negative length
		{4 * Block, 0},      // starts past the end
		{1 << 62, 1 << 62},  // overflows
		{Block, -(1 << 62)}, // wraps below
	} {
		if crc, ok := r.Range(c.off, c.n); ok {
			t.Errorf("Range(%d, %d) = %08x, true; want refused", c.off, c.n, crc)
		}
	}
	if crc, ok := r.Range(3*Block, 5); !ok || crc != crc32.Checksum(bytes.Repeat([]byte{7}, 5), Table) {
		t.Errorf("the last partial block: %08x, %v", crc, ok)
	}
	var empty Ranges
	if crc, ok := empty.Range(0, 0); !ok || crc != 0 {
		t.Errorf("empty stream: %08x, %v; want 0, true", crc, ok)
	}
}

func FuzzRanges(f *testing.F) {
	f.Add([]byte("refuge"), int64(0), int64(6), uint16(3))
	f.Add(make([]byte, Block+3), int64(Block), int64(3), uint16(Block-1))
	f.Fuzz(func(t *testing.T, data []byte, off, n int64, step uint16) {
		var r Ranges
		k := int(step)%(2*Block) + 1
		for p := data; len(p) > 0; p = p[min(k, len(p)):] {
			r.Write(p[:min(k, len(p))])
		}
		crc, ok := r.Range(off, n)
		if !ok {
			return
		}
		if want := crc32.Checksum(data[off:off+n], Table); crc != want {
			t.Fatalf("Range(%d, %d) = %08x, want %08x", off, n, crc, want)
		}
	})
}
