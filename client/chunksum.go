package client

import (
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"slices"

	"refuge/internal/crc32c"
)

// chunkAlgorithm names the tus checksum of each PATCH: CRC-32C, the
// checksum that guards a transfer against accidental damage at a tenth of
// SHA-256's cost (with SHA-256, hashing was a third of the client's and
// the server's work). It is no guard against an attacker, and need not
// be: the ciphertext is authenticated by age, chunk by chunk, and the
// officers' acknowledgement names its SHA-256.
const chunkAlgorithm = "crc32c"

func newChunkHash() hash.Hash { return crc32.New(crc32c.Table) }

// A CRC32CSource is an upload source that knows the CRC-32C of ranges of
// itself without reading them again: refuge submit's spool takes them
// while it seals (see internal/crc32c). Upload asks it first; CRC32C may
// wait until the range exists, and answers ok = false when it cannot
// tell, and the chunk is then read and hashed as from any source.
type CRC32CSource interface {
	CRC32C(off, n int64) (crc uint32, ok bool)
}

// A FileSource keeps its bytes in a file: refuge submit's spool, a
// sealed bundle. On a plain TCP connection (an onion service behind Tor's
// SOCKS port, a server on the same network) Upload sends each chunk
// from that file with sendfile(2), so the bytes are not copied through
// the client; a TLS connection encrypts them itself and reads them as
// from any source. Upload reads a range from the file only once ReadAt or
// CRC32C has answered for all of it. An *os.File is a FileSource of
// itself.
type FileSource interface {
	File() *os.File
}

// fileOf returns the file that holds src's bytes, or nil.
func fileOf(src io.ReaderAt) *os.File {
	switch s := src.(type) {
	case *os.File:
		return s
	case FileSource:
		return s.File()
	}
	return nil
}

// A ReleasingSource can free what the server holds durably: refuge
// submit's spool gives its disk space and page cache back as the upload
// goes. Upload calls Release with the server's new offset after every
// chunk the server acknowledged. The source must still answer reads
// past that offset; reads before it may fail.
type ReleasingSource interface {
	Release(acked int64)
}

// chunkSum is the checksum of the chunk that most likely comes next,
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
	s := &chunkSum{src: src, offset: offset, h: newChunkHash(), sums: map[int64][]byte{}, done: make(chan struct{})}
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

// take returns the checksum of src[offset:offset+n]: from the background
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
	h := newChunkHash()
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
