package bundle

import (
	"io"
	"sync"
)

// readAhead reads from r in its own goroutine, a few fixed buffers ahead of
// the consumer, so that decryption overlaps with parsing, hashing and disk
// writes. Memory is bounded by the buffers. Close must be called to stop the
// goroutine; it is safe to call more than once.
type readAhead struct {
	full  chan chunk
	free  chan []byte
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	cur   chunk
	ended error // the error that ended the stream, once consumed
}

type chunk struct {
	buf []byte
	off int
	err error
}

const (
	aheadBufSize  = 256 << 10
	aheadBufCount = 4
)

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{
		full: make(chan chunk, aheadBufCount),
		free: make(chan []byte, aheadBufCount),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range aheadBufCount {
		ra.free <- make([]byte, aheadBufSize)
	}
	go ra.run(r)
	return ra
}

func (ra *readAhead) run(r io.Reader) {
	defer close(ra.done)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := io.ReadFull(r, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if n == 0 && err == nil {
			continue
		}
		select {
		case ra.full <- chunk{buf: buf[:n], err: err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read returns the data read ahead, then the error that ended the stream.
func (ra *readAhead) Read(p []byte) (int, error) {
	for ra.cur.off == len(ra.cur.buf) {
		if ra.cur.err != nil || ra.ended != nil {
			if ra.ended == nil {
				ra.ended = ra.cur.err
			}
			return 0, ra.ended
		}
		if ra.cur.buf != nil {
			ra.free <- ra.cur.buf[:cap(ra.cur.buf)]
		}
		ra.cur = <-ra.full
	}
	n := copy(p, ra.cur.buf[ra.cur.off:])
	ra.cur.off += n
	return n, nil
}

// Close stops the reading goroutine and waits for it.
func (ra *readAhead) Close() {
	ra.once.Do(func() { close(ra.stop) })
	<-ra.done
}
