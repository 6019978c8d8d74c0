package bundle

import (
	"crypto/sha256"
	"hash"
)

// hasher computes SHA-256 in its own goroutine so that hashing overlaps with
// encryption (Seal) or decryption and disk writes (Open). Write copies the
// data into one of a few fixed buffers, so memory stays bounded.
type hasher struct {
	h    hash.Hash
	work chan []byte
	free chan []byte
	done chan struct{}
	cur  []byte // buffer being filled by Write

	closed bool
}

const (
	hashBufSize  = 256 << 10
	hashBufCount = 4
)

func newHasher() *hasher {
	h := &hasher{
		h:    sha256.New(),
		work: make(chan []byte, hashBufCount),
		free: make(chan []byte, hashBufCount),
		done: make(chan struct{}),
	}
	for range hashBufCount {
		h.free <- make([]byte, 0, hashBufSize)
	}
	go h.run()
	return h
}

func (h *hasher) run() {
	defer close(h.done)
	for b := range h.work {
		h.h.Write(b)
		h.free <- b[:0]
	}
}

// Write never fails.
func (h *hasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if h.cur == nil {
			h.cur = <-h.free
		}
		k := copy(h.cur[len(h.cur):cap(h.cur)], p)
		h.cur = h.cur[:len(h.cur)+k]
		p = p[k:]
		if len(h.cur) == cap(h.cur) {
			h.work <- h.cur
			h.cur = nil
		}
	}
	return n, nil
}

// close stops the goroutine; the hasher cannot be written afterwards. It is
// safe to call more than once.
func (h *hasher) close() {
	if h.closed {
		return
	}
	h.closed = true
	if h.cur != nil {
		h.work <- h.cur
		h.cur = nil
	}
	close(h.work)
	<-h.done
}

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
