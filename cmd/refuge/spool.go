package main

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"

	"filippo.io/age"

	"refuge/crypto/bundle"
	"refuge/internal/crc32c"
	"refuge/internal/handoff"
	"refuge/internal/progress"
)

// A spool is the sealed bundle on its way out. refuge submit seals into it
// while the upload reads what is already there, so sealing and sending
// overlap and the ciphertext is written to this device once, not fsynced:
// the spool is only kept so that an interrupted upload can resume without
// sealing again (the ciphertext cannot be made twice: age picks a fresh
// file key each time).
//
// A crash of the program leaves the spool in the kernel's cache, where the
// next run finds it. A crash of the whole device (a battery that dies) may
// leave holes in it: that is why the spool's CRC-32C is recorded once it is
// sealed and checked before a resumed upload reads from it. A spool that
// fails the check, or whose sealing never finished, is sealed again under
// the same receipt phrase (see sealedUpload). CRC-32C is enough here: it
// guards against a torn file, not an attacker, who could change the
// spool's state file as easily.
//
// What the server holds durably is given back as the upload goes
// (Release): the disk blocks and the page cache of the spool's beginning.
// The state records how far, and the CRC-32C of that part, before the
// hole is punched; a resumed upload checks only the rest, and one that
// must start again from byte 0 (the server lost it) is sealed again.
// Freeing as it goes spares the kernel writing out a spool larger than
// its dirty-page threshold while the upload reads it: a 4 GiB submission
// into a server on the same disk went from 166–189 to 253–267 MB/s (two
// runs each, alternated; no change at 1 GiB, which stays under the
// threshold on the 24 GiB build VM, unlike on a 1 GiB laptop).
type spool struct {
	f    *os.File
	size int64 // announced by bundle.SealedSize

	// onRelease records, before the spool's first upTo bytes are freed,
	// how far and their CRC-32C (see Release).
	onRelease func(upTo int64, crc uint32) error

	mu       sync.Mutex
	grew     *sync.Cond
	written  int64
	released int64         // the first bytes, freed (see Release)
	sums     crc32c.Ranges // CRC-32C of what is written, by 64 KiB block
	err      error         // why sealing stopped; io.EOF once it finished
}

// errReleased is what reading the freed part of a spool gives: the
// server held those bytes, and now only a new sealing can give them again.
var errReleased = errors.New("the part of the sealed bundle that the server already held was freed on this device")

// createSpool creates name (0600, never over an existing file) for a
// bundle of size bytes, and reserves the disk space for it where the file
// system can: a disk too small for the bundle is found before anything is
// shown or sent.
func createSpool(name string, size int64) (*spool, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, failf("cannot create the sealed bundle: %v", errors.Unwrap(err))
	}
	if err := reserve(f, size); err != nil {
		f.Close()
		os.Remove(name)
		return nil, failf("not enough room on this disk for the sealed bundle (%s): %v", progress.Size(size), err).
			Hint("free some space (or point REFUGE_STATE_DIR at a disk with more) and run the command again; nothing was sent")
	}
	s := &spool{f: f, size: size}
	s.grew = sync.NewCond(&s.mu)
	return s, nil
}

// seal seals contents into the spool and returns its CRC-32C. It stops
// with ctx's error when ctx ends. Readers waiting on the spool get the
// error too.
func (s *spool) seal(ctx context.Context, recipients []age.Recipient, contents bundle.Contents) (uint32, error) {
	w := newSpoolWriter(ctx, s)
	_, err := bundle.Seal(w, recipients, contents)
	if werr := w.close(); err == nil {
		err = werr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && s.written != s.size {
		err = fmt.Errorf("the bundle came out at %d bytes, not the %d announced", s.written, s.size)
	}
	if err == nil {
		s.err = io.EOF
	} else {
		s.err = err
	}
	s.grew.Broadcast()
	return s.sums.Sum(), err
}

// spoolBufs buffers of spoolBufSize carry the ciphertext from the sealer to
// the goroutine that writes it to the spool.
const (
	spoolBufs    = 4
	spoolBufSize = 1 << 20
)

// spoolWriter appends to the spool. The sealer's writes are copied into a
// buffer and a goroutine writes full buffers to the file, records their
// CRC-32C and wakes the readers (package handoff): the sealer encrypts the
// next megabyte while the last one goes to the page cache, which cost it
// as much time as the encryption did.
type spoolWriter struct {
	s        *spool
	ctx      context.Context
	w        *handoff.Writer
	accepted int64 // bytes taken from the sealer
}

func newSpoolWriter(ctx context.Context, s *spool) *spoolWriter {
	off := int64(0) // where the consumer writes next
	return &spoolWriter{s: s, ctx: ctx, w: handoff.New(spoolBufs, spoolBufSize, func(b []byte) error {
		n, err := s.f.WriteAt(b, off)
		off += int64(n)
		s.mu.Lock()
		s.written += int64(n)
		s.sums.Write(b[:n])
		s.grew.Broadcast()
		s.mu.Unlock()
		return err
	})}
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if w.accepted+int64(len(p)) > w.s.size {
		return 0, fmt.Errorf("the bundle grew past the %d bytes announced", w.s.size)
	}
	n, err := w.w.Write(p)
	w.accepted += int64(n)
	return n, err
}

// close writes what is buffered, waits for the writes and returns the
// first error of any.
func (w *spoolWriter) close() error { return w.w.Close() }

// ReadAt reads from the spool, waiting until the sealer has written the
// bytes asked for. It fails with the sealer's error if sealing stopped.
func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), s.size)
	s.mu.Lock()
	for s.written < end && s.err == nil {
		s.grew.Wait()
	}
	err, released := s.err, s.released
	s.mu.Unlock()
	if off < released {
		return 0, errReleased
	}
	if err != nil && err != io.EOF {
		return 0, fmt.Errorf("sealing stopped: %w", err)
	}
	n, err := s.f.ReadAt(p[:end-off], off)
	if err == nil && int64(n) < int64(len(p)) {
		err = io.EOF
	}
	return n, err
}

// CRC32C returns the CRC-32C of the n bytes at off, from the checksums
// taken while sealing, without reading them again (see client.CRC32CSource).
// It waits until the sealer has written them; ok is false if sealing
// stopped, the range was freed (Release), or it is not on the spool's
// 64 KiB blocks.
func (s *spool) CRC32C(off, n int64) (crc uint32, ok bool) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return 0, false
	}
	end := off + n
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.written < end && s.err == nil {
		s.grew.Wait()
	}
	if s.err != nil && s.err != io.EOF || off < s.released {
		return 0, false
	}
	return s.sums.Range(off, n)
}

// Release frees the spool's first upTo bytes (down to a 64 KiB block),
// which the server holds durably (see client.ReleasingSource). It records
// them first (onRelease); if that fails, or the file system cannot punch
// holes, the bytes stay.
func (s *spool) Release(upTo int64) {
	s.mu.Lock()
	upTo = min(upTo, s.written)
	upTo -= upTo % crc32c.Block
	from := s.released
	crc, ok := s.sums.Range(0, upTo)
	s.mu.Unlock()
	if upTo <= from || !ok {
		return
	}
	if s.onRelease != nil && s.onRelease(upTo, crc) != nil {
		return
	}
	s.mu.Lock()
	s.released = upTo
	s.mu.Unlock()
	_ = punchHole(s.f, from, upTo-from) // if it cannot, the bytes merely stay
}

func (s *spool) Close() error { return s.f.Close() }

// File is the spool's file, for client.FileSource: the upload reads a
// range from it only after ReadAt or CRC32C answered for that range.
func (s *spool) File() *os.File { return s.f }

// spoolIntact reports whether the spool at name has the size and CRC-32C
// recorded when it was sealed, of which the first released bytes (whose
// CRC-32C was releasedCRC) were freed: only the rest is read.
func spoolIntact(name string, size int64, crc uint32, released int64, releasedCRC uint32) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() != size || released < 0 || released > size {
		return false
	}
	h := crc32.New(crc32c.Table)
	n, err := io.Copy(h, io.NewSectionReader(f, released, size-released))
	return err == nil && n == size-released && crc32c.Combine(releasedCRC, h.Sum32(), n) == crc
}

// releasedFile is a spool read back by a later run: its first released
// bytes were freed, and reading them gives errReleased.
type releasedFile struct {
	f        *os.File
	released int64
}

// File is the spool's file, for client.FileSource (as spool.File).
func (r releasedFile) File() *os.File { return r.f }

func (r releasedFile) ReadAt(p []byte, off int64) (int, error) {
	if off < r.released {
		return 0, errReleased
	}
	return r.f.ReadAt(p, off)
}
