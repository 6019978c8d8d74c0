package store

import (
	"hash"
	"os"
	"sync"
	"sync/atomic"
)

// blockWriter writes a chunk's blocks to its file and hashes them, with
// the network, the hashes and the disk each in their own goroutine, so
// that on two cores they run side by side instead of one after another.
//
//   - A chunk's first blocks are copied one at a time through one buffer:
//     the write and each hash (the upload's running SHA-256, and the tus
//     checksum when there is one) run at once, and the next block is read
//     from the network once all three are done. Below parallelBlock even
//     that hand-over costs more than it saves, and the block is written
//     and hashed in line.
//   - Once a chunk has copied pipelineAfter bytes, and its upload lacks at
//     least pipelineAfter more, it is a long one, and if fewer than
//     maxPipelined chunks are pipelined already it gets pipelineDepth
//     buffers of pipeBufSize in place of its own (smaller) one: the next
//     block is read while the ones before it are hashed and written. With the read, the SHA-256 and the write
//     each waiting on the one before, one 1 GiB PATCH used one core of
//     two; see docs/BENCHMARKS.md for what the pipeline bought.
//
// Memory stays bounded whatever the chunk's size: one buffer per chunk,
// pipelineDepth for at most maxPipelined chunks at a time (64 concurrent
// uploads of 1 MiB never pipeline).
type blockWriter struct {
	f     *os.File
	hs    []hash.Hash
	pipes *pipes
	base  []byte // the chunk's own buffer, from the store's pool

	copied int64 // bytes handed to writeAt so far
	most   int64 // bytes the chunk can copy at most (what its upload lacks)

	// Once the goroutines run (started): each stage has a channel of
	// blocks, processed in order; free holds the blocks whose stages are
	// all done; pending counts the others.
	started bool
	stages  []chan *block
	free    chan *block
	pending sync.WaitGroup
	extra   [][]byte // pipeline buffers, given back by close
	piped   bool     // holds a slot of pipes
	failed  atomic.Pointer[error]

	// written is the end of the bytes written so far, started the end of
	// those handed to the kernel's writeback (see writebackEvery). Only
	// the goroutine that writes touches them.
	written, wbStart int64
}

// A block is one buffer's trip through the stages.
type block struct {
	buf  []byte // the whole buffer
	n    int    // bytes of buf in this trip
	off  int64
	left atomic.Int64 // stages still to finish
	own  bool         // buf is the chunk's own (small) buffer
}

// writebackEvery is how many written bytes a chunk accumulates before the
// kernel is asked to start writing them to disk: a large chunk then costs
// one short fsync at the end instead of a long one (one 1 GiB PATCH went
// from a median of 269 to 311 MB/s over four runs each on the shared VM).
const writebackEvery = 8 << 20

// parallelBlock is the smallest block hashed beside its write; below it
// handing the block over costs more than it saves.
const parallelBlock = 64 << 10

const (
	pipelineAfter = 1 << 20 // bytes of a chunk copied before it may pipeline
	pipelineDepth = 4       // buffers of a pipelined chunk (1 MiB)
	maxPipelined  = 8       // chunks pipelined at once (8 MiB of buffers)
)

// pipes hands out the right to pipeline a chunk, and the buffers.
type pipes struct {
	slots chan struct{}
	bufs  *sync.Pool // *[]byte of pipeBufSize
}

// pipeBufSize is a pipelined chunk's block: 256 KiB writes and hashes
// make the per-block cost negligible.
const pipeBufSize = 256 << 10

func newPipes() *pipes {
	p := &pipes{slots: make(chan struct{}, maxPipelined), bufs: new(sync.Pool)}
	p.bufs.New = func() any { b := make([]byte, pipeBufSize); return &b }
	return p
}

func newBlockWriter(f *os.File, hs []hash.Hash, p *pipes, base []byte, most int64) *blockWriter {
	return &blockWriter{f: f, hs: hs, pipes: p, base: base, most: most}
}

// buf returns the buffer to read the next block into: the chunk's own
// until it pipelines, then whichever is free first (waiting for one).
func (w *blockWriter) buf() *block {
	if !w.started {
		return &block{buf: w.base, own: true}
	}
	for {
		b := <-w.free
		if w.piped && b.own {
			continue // a pipelined chunk reads into its large buffers only
		}
		return b
	}
}

// writeAt writes and hashes b.buf[:n] at off. Until the chunk pipelines
// both are finished when it returns; after, they may still run, and a
// write error shows at a later writeAt or at flush.
func (w *blockWriter) writeAt(b *block, n int, off int64) error {
	if err := w.err(); err != nil {
		return err
	}
	w.copied += int64(n)
	if !w.started && n < parallelBlock {
		for _, h := range w.hs {
			_, _ = h.Write(b.buf[:n]) // hashes never fail
		}
		if _, err := w.f.WriteAt(b.buf[:n], off); err != nil {
			return err
		}
		w.writeback(off, int64(n))
		return nil
	}
	if !w.started {
		w.start()
	}
	b.n, b.off = n, off
	b.left.Store(int64(len(w.stages)))
	w.pending.Add(1)
	for _, st := range w.stages {
		st <- b
	}
	if !w.piped && w.copied >= pipelineAfter && w.most-w.copied >= pipelineAfter {
		w.pipeline()
	}
	if w.piped {
		return nil
	}
	// One buffer: wait for it, so the caller may read into it again.
	return w.flush()
}

// start starts one goroutine per hash and one that writes, with the
// chunk's own buffer as the only one.
func (w *blockWriter) start() {
	w.started = true
	w.free = make(chan *block, pipelineDepth+1) // the own buffer and the pipeline's
	for _, h := range w.hs {
		in := make(chan *block, pipelineDepth)
		w.stages = append(w.stages, in)
		go func() {
			for b := range in {
				_, _ = h.Write(b.buf[:b.n]) // hashes never fail
				w.done(b)
			}
		}()
	}
	in := make(chan *block, pipelineDepth)
	w.stages = append(w.stages, in)
	go func() {
		for b := range in {
			if w.err() == nil {
				if _, err := w.f.WriteAt(b.buf[:b.n], b.off); err != nil {
					w.failed.CompareAndSwap(nil, &err)
				} else {
					w.writeback(b.off, int64(b.n))
				}
			}
			w.done(b)
		}
	}()
}

// pipeline gives the chunk more buffers if no more than maxPipelined
// chunks have them already.
func (w *blockWriter) pipeline() {
	select {
	case w.pipes.slots <- struct{}{}:
	default:
		return
	}
	w.piped = true
	for range pipelineDepth {
		bp := w.pipes.bufs.Get().(*[]byte)
		w.extra = append(w.extra, *bp)
		w.free <- &block{buf: *bp}
	}
}

// done marks one stage of b finished; the last one frees b.
func (w *blockWriter) done(b *block) {
	if b.left.Add(-1) == 0 {
		w.free <- b
		w.pending.Done()
	}
}

// flush waits until every block handed to writeAt is written and hashed,
// and returns the first write error.
func (w *blockWriter) flush() error {
	w.pending.Wait()
	return w.err()
}

func (w *blockWriter) err() error {
	if p := w.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// writeback starts the kernel's writeback of every full writebackEvery
// bytes written since the last call that did.
func (w *blockWriter) writeback(off, n int64) {
	if w.written != off {
		w.wbStart = off // a new chunk (or a jump): start counting here
	}
	w.written = off + n
	if w.written-w.wbStart >= writebackEvery {
		startWriteback(w.f, w.wbStart, w.written-w.wbStart)
		w.wbStart = w.written
	}
}

// close waits for the blocks in flight, ends the goroutines and gives
// back the pipeline's buffers and slot. The chunk's own buffer is the
// caller's.
func (w *blockWriter) close() {
	w.pending.Wait()
	for _, st := range w.stages {
		close(st)
	}
	for i := range w.extra {
		w.pipes.bufs.Put(&w.extra[i])
	}
	if w.piped {
		<-w.pipes.slots
	}
}
