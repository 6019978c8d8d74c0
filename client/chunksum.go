package client

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"slices"
)

// chunkSum is the SHA-256 of the chunk that most likely comes next,
// computed in the background while the current chunk is sent. The size of
// the next chunk is not known yet (it grows or shrinks with the link), so
// the digest is kept at a few lengths, and the hash can be carried on past
// the end for a chunk that grew: no byte is hashed twice.
type chunkSum struct {
	src    io.ReaderAt
	offset int64
	end    int64 // bytes hashed from offset once done
	h      hash.Hash
	sums   map[int64][]byte // digest by length
	err    error
	done   chan struct{}
}

// startSum hashes src[offset:offset+n] in a goroutine, keeping the digest
// at n and at each of marks (lengths up to n).
func startSum(src io.ReaderAt, offset, n int64, marks ...int64) *chunkSum {
	s := &chunkSum{src: src, offset: offset, h: sha256.New(), sums: map[int64][]byte{}, done: make(chan struct{})}
	marks = append(marks, n)
	slices.Sort(marks)
	go func() {
		defer close(s.done)
		for _, m := range marks {
			if m <= s.end || m > n {
				continue
			}
			if s.err = s.hashTo(m); s.err != nil {
				return
			}
			s.sums[m] = s.h.Sum(nil)
		}
	}()
	return s
}

// hashTo carries the hash on to length end.
func (s *chunkSum) hashTo(end int64) error {
	if _, err := io.Copy(s.h, io.NewSectionReader(s.src, s.offset+s.end, end-s.end)); err != nil {
		return permanent(fmt.Errorf("reading the file to upload: %w", err))
	}
	s.end = end
	return nil
}

// take returns the SHA-256 of src[offset:offset+n]: from the background
// hash when it covers this chunk, else computed now. s may be nil.
func (s *chunkSum) take(src io.ReaderAt, offset, n int64) ([]byte, error) {
	s.wait()
	if s != nil && s.err == nil && s.offset == offset {
		if sum, ok := s.sums[n]; ok {
			return sum, nil
		}
		if n > s.end { // the chunk grew: carry on from where the hash stopped
			if err := s.hashTo(n); err != nil {
				return nil, err
			}
			return s.h.Sum(nil), nil
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(src, offset, n)); err != nil {
		return nil, permanent(fmt.Errorf("reading the file to upload: %w", err))
	}
	return h.Sum(nil), nil
}

// wait waits for the background hashing. s may be nil.
func (s *chunkSum) wait() {
	if s != nil {
		<-s.done
	}
}
