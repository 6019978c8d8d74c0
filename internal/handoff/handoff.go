// Package handoff passes a stream of bytes from one goroutine to another
// through a few fixed buffers: Write copies into a free buffer and returns,
// and a goroutine of its own hands each full buffer to a consumer. The
// writer goes on (encrypting, decrypting) while the consumer works
// (hashing, writing to disk), and memory stays at count × size.
package handoff

import (
	"io"
	"sync"
)

// Writer is the writing end. It is for one goroutine; Close ends it.
type Writer struct {
	consume func([]byte) error
	work    chan []byte
	free    chan []byte
	done    chan struct{}
	cur     []byte // the buffer being filled
	closed  bool

	mu  sync.Mutex
	err error // the consumer's first error
}

// New starts a Writer with count buffers of size bytes. consume is called
// with each full buffer in order, and with the last partial one at Close,
// from one goroutine; it must not keep the slice. After it fails once it is
// not called again.
func New(count, size int, consume func([]byte) error) *Writer {
	w := &Writer{consume: consume, work: make(chan []byte, count), free: make(chan []byte, count), done: make(chan struct{})}
	for range count {
		w.free <- make([]byte, 0, size)
	}
	go w.run()
	return w
}

func (w *Writer) run() {
	defer close(w.done)
	for b := range w.work {
		if w.Err() == nil {
			if err := w.consume(b); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			}
		}
		w.free <- b[:0]
	}
}

// Err returns the consumer's first error, if any yet.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Write copies p into the buffers. It fails only with the consumer's error,
// once the consumer has failed; bytes accepted before that may be dropped.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.Err(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		if w.cur == nil {
			w.cur = <-w.free
		}
		k := copy(w.cur[len(w.cur):cap(w.cur)], p)
		w.cur = w.cur[:len(w.cur)+k]
		p = p[k:]
		if len(w.cur) == cap(w.cur) {
			w.work <- w.cur
			w.cur = nil
		}
	}
	return n, nil
}

// Tee reads r to its end straight into the buffers, writes each piece it
// read to dst as well, and hands the buffers on as Write does: the bytes
// are copied once, by the read, where io.Copy into dst and Write would
// copy them twice. dst must not keep the slices it is given. Tee returns
// the bytes read and the first error of r (not io.EOF), of dst or of the
// consumer.
func (w *Writer) Tee(dst io.Writer, r io.Reader) (int64, error) {
	var total int64
	for {
		if err := w.Err(); err != nil {
			return total, err
		}
		if w.cur == nil {
			w.cur = <-w.free
		}
		n, rerr := r.Read(w.cur[len(w.cur):cap(w.cur)])
		if n > 0 {
			piece := w.cur[len(w.cur) : len(w.cur)+n]
			total += int64(n)
			if _, err := dst.Write(piece); err != nil {
				return total, err
			}
			w.cur = w.cur[:len(w.cur)+n]
			if len(w.cur) == cap(w.cur) {
				w.work <- w.cur
				w.cur = nil
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// Close hands on what is buffered, waits until the consumer is done and
// returns its first error. It may be called more than once; Write must
// not be called after it.
func (w *Writer) Close() error {
	if !w.closed {
		w.closed = true
		if len(w.cur) > 0 {
			w.work <- w.cur
		}
		w.cur = nil
		close(w.work)
		<-w.done
	}
	return w.Err()
}
