package bundle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// entrySink moves each entry's bytes from the tar stream to its staged file
// and to SHA-256. The caller's goroutine decrypts, parses the tar stream and
// fills buffers; for each entry one goroutine writes each buffer and hands
// it to another that hashes it, so that a write held up by the disk does not
// hold up decryption, and decryption, the copy into the page cache and the
// hash run side by side. (Writing and hashing in one goroutine made it the
// slowest stage of open: 3.64 against 3.33 s for 1 GiB, medians of five,
// alternated.) The buffers are handed on, never copied, and there is a
// fixed number of them: memory does not grow with the entry.
type entrySink struct {
	free chan []byte
}

const (
	// sinkBufSize keeps a buffer in the caches between being filled,
	// written and hashed: with 1 MiB buffers the kernel's copy into the page
	// cache cost several times more CPU (perf, opening 1 GiB).
	sinkBufSize = 256 << 10
	// sinkBufCount buffers (16 MiB) absorb a write that the disk holds up
	// for tens of milliseconds (seen under load from other processes)
	// without stopping decryption.
	sinkBufCount = 64
)

// newEntrySink allocates all its buffers at once: open's memory is then the
// same for every bundle, whether or not the disk ever held a write up long
// enough to fill the pool (allocated as needed, peak RSS at 1 GiB was 22 or
// 43 MiB from one run to the next, which made memory look as if it grew).
func newEntrySink() *entrySink {
	s := &entrySink{free: make(chan []byte, sinkBufCount)}
	for range sinkBufCount {
		s.free <- make([]byte, sinkBufSize)
	}
	return s
}

// buffer returns a free buffer, waiting for one if all are in use.
func (s *entrySink) buffer() []byte { return <-s.free }

// errEntryWrite marks an error from writing the staged file, which is not
// the bundle's fault.
type errEntryWrite struct{ err error }

func (e *errEntryWrite) Error() string { return "cannot write entry: " + e.err.Error() }
func (e *errEntryWrite) Unwrap() error { return e.err }

// copy streams src to f until io.EOF and returns how many bytes it copied and
// their SHA-256 (lowercase hex). extra, when not nil, also gets the bytes (in
// the caller's goroutine). A write error is an *errEntryWrite; any other
// error comes from src. f is written but not closed.
func (s *entrySink) copy(f *os.File, src io.Reader, extra io.Writer) (int64, string, error) {
	toWrite := make(chan []byte, sinkBufCount)
	toHash := make(chan []byte, sinkBufCount)
	done := make(chan struct{})
	var failed atomic.Bool
	var werr error
	h := sha256.New()
	go func() {
		defer close(toHash)
		w := newWriteback(f)
		for b := range toWrite {
			if werr == nil {
				if _, werr = w.Write(b); werr != nil {
					failed.Store(true)
				}
			}
			toHash <- b
		}
	}()
	go func() {
		defer close(done)
		for b := range toHash {
			h.Write(b)
			s.free <- b[:cap(b)]
		}
	}()

	var n int64
	var rerr error
	for rerr == nil && !failed.Load() {
		b := s.buffer()
		k, err := fill(src, b)
		if k == 0 {
			s.free <- b
		} else {
			if extra != nil {
				extra.Write(b[:k])
			}
			n += int64(k)
			toWrite <- b[:k]
		}
		rerr = err
	}
	close(toWrite)
	<-done
	switch {
	case werr != nil:
		return n, "", &errEntryWrite{werr}
	case rerr != io.EOF:
		return n, "", rerr
	}
	return n, hexSum(h.Sum(nil)), nil
}

// fill reads into b until it is full (nil error) or src ends (io.EOF, with
// the bytes read before it) or fails. Unlike io.ReadFull it keeps a short
// stream (io.ErrUnexpectedEOF from src) an error.
func fill(src io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := src.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// writeErr says why an entry could not be staged, without its name.
func writeErr(err error) error {
	var we *errEntryWrite
	if errors.As(err, &we) {
		return stageErr(we.err)
	}
	return fmt.Errorf("%w: cannot read entry: %v", ErrNotBundle, err)
}
