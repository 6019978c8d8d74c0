// Package crc32c gives the CRC-32C (Castagnoli) of ranges of a stream
// without reading them again.
//
// refuge submit seals into a spool while the upload sends it, and every
// tus PATCH carries the CRC-32C of its chunk. Hashing each chunk meant
// reading it back from the spool first: a tenth of the client's work. A
// [Ranges] written alongside the spool records the stream's CRC at every
// [Block] boundary, and the CRC of a range between two boundaries then
// follows from the two prefixes by [Combine], the same arithmetic as
// zlib's crc32_combine.
package crc32c

import "hash/crc32"

// Table is the CRC-32C table of hash/crc32.
var Table = crc32.MakeTable(crc32.Castagnoli)

// Update is crc32.Update with Table.
func Update(crc uint32, p []byte) uint32 { return crc32.Update(crc, Table, p) }

// Combine returns the CRC-32C of A followed by B, given crcA, crcB and
// the length of B: crcA is carried over len(B) zero bits by repeated
// squaring of the operator that shifts a CRC by one zero bit (GF(2)
// matrices of 32×32 bits, as in zlib), then crcB is added.
func Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [32]uint32
	odd[0] = crc32.Castagnoli // the reversed polynomial: one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	square(&even, &odd) // two zero bits
	square(&odd, &even) // four
	for {               // the first pass applies one zero byte
		square(&even, &odd)
		if lenB&1 != 0 {
			crcA = times(&even, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
		square(&odd, &even)
		if lenB&1 != 0 {
			crcA = times(&odd, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func square(dst, mat *[32]uint32) {
	for n := range dst {
		dst[n] = times(mat, mat[n])
	}
}

// Block is the granularity of [Ranges]: 64 KiB, the smallest chunk the
// client sends, so every chunk starts on a boundary.
const Block = 64 << 10

// Ranges is an io.Writer that records the CRC-32C of the stream written
// to it at every Block boundary: 4 bytes per 64 KiB (256 KiB for a
// 4 GiB bundle). It is not safe for concurrent use.
type Ranges struct {
	prefix []uint32 // prefix[k]: the CRC of the first k×Block bytes
	crc    uint32   // of everything written
	n      int64
}

// Write never fails.
func (r *Ranges) Write(p []byte) (int, error) {
	if r.prefix == nil {
		r.prefix = []uint32{0}
	}
	total := len(p)
	for len(p) > 0 {
		k := min(len(p), Block-int(r.n%Block))
		r.crc = Update(r.crc, p[:k])
		r.n += int64(k)
		p = p[k:]
		if r.n%Block == 0 {
			r.prefix = append(r.prefix, r.crc)
		}
	}
	return total, nil
}

// Len is the number of bytes written.
func (r *Ranges) Len() int64 { return r.n }

// Sum is the CRC-32C of everything written.
func (r *Ranges) Sum() uint32 { return r.crc }

// Range returns the CRC-32C of the n bytes at off. ok is false unless
// they have been written, off is on a Block boundary, and the range ends
// on one or at the end of what was written.
func (r *Ranges) Range(off, n int64) (crc uint32, ok bool) {
	if off < 0 || n < 0 || off > r.n || n > r.n-off || off%Block != 0 {
		return 0, false
	}
	end := off + n
	if end%Block != 0 && end != r.n {
		return 0, false
	}
	last := r.crc
	if end%Block == 0 {
		last = r.prefixAt(end)
	}
	// CRC(0..end) = Combine(CRC(0..off), CRC(off..end), n), and Combine
	// is linear in its first argument: undo it.
	return last ^ Combine(r.prefixAt(off), 0, n), true
}

func (r *Ranges) prefixAt(off int64) uint32 {
	if off == 0 {
		return 0
	}
	return r.prefix[off/Block]
}
