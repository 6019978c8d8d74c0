package bundle

import (
	"crypto/sha256"
	"hash"
	"io"

	"refuge/internal/handoff"
)

// hasher computes SHA-256 in its own goroutine so that hashing overlaps with
// encryption (Seal) or decryption and disk writes (Open). Write copies the
// data into one of a few fixed buffers, so memory stays bounded.
type hasher struct {
	h hash.Hash
	w *handoff.Writer
}

const (
	hashBufSize  = 256 << 10
	hashBufCount = 4
)

func newHasher() *hasher {
	h := &hasher{h: sha256.New()}
	h.w = handoff.New(hashBufCount, hashBufSize, func(b []byte) error {
		h.h.Write(b)
		return nil
	})
	return h
}

// Write never fails.
func (h *hasher) Write(p []byte) (int, error) { return h.w.Write(p) }

// tee copies r to dst and hashes it, reading r straight into the
// hasher's buffers (one copy of the bytes fewer than io.Copy to both).
func (h *hasher) tee(dst io.Writer, r io.Reader) (int64, error) { return h.w.Tee(dst, r) }

// close stops the goroutine; the hasher cannot be written afterwards. It is
// safe to call more than once.
func (h *hasher) close() { _ = h.w.Close() }

// sum stops the goroutine and returns the lowercase hex SHA-256.
func (h *hasher) sum() string {
	h.close()
	return hexSum(h.h.Sum(nil))
}

// sum256 stops the goroutine and returns the SHA-256.
func (h *hasher) sum256() (s [32]byte) {
	h.close()
	h.h.Sum(s[:0])
	return s
}
