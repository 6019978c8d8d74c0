package bundle

import "math/bits"

// MinPaddedSize is the smallest padded plaintext: every bundle is at least this
// long before encryption, so small submissions all look alike.
const MinPaddedSize = 64 << 10

// blockSize is the tar block size; padded sizes are multiples of it so that
// stock tar reads the padding as end-of-archive blocks.
const blockSize = 512

// Padme returns the Padmé bucket for a length n: n rounded up so that only the
// top O(log log n) bits of the length are significant. The overhead is at most
// about 11% and the length leaks O(log log n) bits. Padme(n) >= n for n >= 0;
// Padme of n < 2 is n.
//
// See Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
// Communication with PURBs" (PETS 2019).
func Padme(n int64) int64 {
	if n < 2 {
		return n
	}
	e := bits.Len64(uint64(n)) - 1 // floor(log2 n)
	s := bits.Len64(uint64(e))     // #nosec G115 -- floor(log2 e) + 1, with e = floor(log2 n) between 1 and 62
	mask := int64(1)<<(e-s) - 1
	return (n + mask) &^ mask
}

// PaddedSize returns the padded plaintext length for a tar stream of n bytes:
// the Padmé bucket of n, at least [MinPaddedSize], rounded up to a multiple
// of 512.
func PaddedSize(n int64) int64 {
	p := Padme(n)
	if p < MinPaddedSize {
		p = MinPaddedSize
	}
	return (p + blockSize - 1) &^ (blockSize - 1)
}
