package store

import (
	"context"
	"crypto/sha1" // #nosec G505 -- tus's checksum extension names sha1; it checks transport, not authenticity
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"refuge/internal/crc32c"
	"refuge/internal/lowerhex"
)

// WriteChunk writes r into the upload's part file at offset, in place,
// through one pooled buffer (memory does not grow with the chunk), while
// hashing it into the upload's running SHA-256 and, if sum is given, into
// the chunk's own checksum. Then it fsyncs the file and only after that
// commits the new offset and hash state; the offset it returns is durable.
//
// Nothing of a chunk is kept that goes past the declared length
// (ErrTooLarge) or fails its checksum (ErrChecksum): the file is cut back
// to the old offset, which is still the recorded one. When r fails part
// way and no checksum was asked for, what arrived is kept and counted;
// with a checksum a partial chunk cannot be verified and is dropped.
func (s *BoltStore) WriteChunk(ctx context.Context, id string, offset int64, r io.Reader, want *Checksum) (int64, error) {
	return s.writeChunk(ctx, id, offset, r, want, false, nil)
}

// WriteLastChunk is WriteChunk, then Complete if the upload is full; see
// [Store.WriteLastChunk] and finish.
func (s *BoltStore) WriteLastChunk(ctx context.Context, id string, offset int64, r io.Reader, want *Checksum, check func(io.Reader) error) (int64, error) {
	return s.writeChunk(ctx, id, offset, r, want, true, check)
}

// writeChunk is WriteChunk, and with last WriteLastChunk.
func (s *BoltStore) writeChunk(ctx context.Context, id string, offset int64, r io.Reader, want *Checksum, last bool, check func(io.Reader) error) (int64, error) {
	if !lowerhex.ID(id) {
		return 0, notFound("upload")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !s.lock(id) {
		return 0, fmt.Errorf("upload: %w", ErrLocked)
	}
	defer s.unlock(id)

	var rec uploadRecord
	if err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = s.liveUpload(tx, id)
		return err
	}); err != nil {
		return 0, err
	}
	if offset != rec.Offset {
		return rec.Offset, fmt.Errorf("upload at %d, chunk at %d: %w", rec.Offset, offset, ErrOffsetMismatch)
	}
	chunkHash, err := checksumHash(want)
	if err != nil {
		return rec.Offset, err
	}
	running := sha256.New()
	if err := running.(encoding.BinaryUnmarshaler).UnmarshalBinary(rec.HashState); err != nil {
		return rec.Offset, fmt.Errorf("store: corrupt hash state: %w", err)
	}

	path := s.partPath(id)
	f, err := os.OpenFile(path, os.O_WRONLY, 0) // #nosec G304 -- path is built from a validated hex ID
	if err != nil {
		return rec.Offset, fmt.Errorf("store: open upload file: %w", err)
	}
	defer f.Close()

	hashes := []hash.Hash{running}
	if chunkHash != nil {
		hashes = append(hashes, chunkHash)
	}
	// A long chunk without a checksum is committed every checkpoint
	// bytes on the way, so a crash in the middle of a 2 GiB PATCH (a tus
	// client's default) costs at most that much, not the whole chunk.
	// The steps are committed in the background (see checkpointer).
	//
	// A long chunk with a checksum cannot be committed before all of it
	// is there and checked, but its bytes can reach the disk on the way:
	// the same steps fsync the file and commit nothing. The fsync before
	// the chunk's commit then has one step left to flush, not the whole
	// chunk, and the client's next chunk waits that much less. (On the
	// shared VM an fsync's time grew with the bytes since the last one
	// whatever sync_file_range had started: 0.15-0.2 s for 128 MiB.) A
	// failed step fails the chunk, so no fsync error is lost.
	var cp *checkpointer
	if chunkHash == nil {
		cp = &checkpointer{running: running, every: s.checkpoint, last: rec.Offset, commit: func(end int64, state []byte) error {
			return s.commitChunk(f, path, &rec, end, state)
		}}
	} else {
		cp = &checkpointer{running: running, every: s.checkpoint, last: rec.Offset, commit: func(end int64, _ []byte) error {
			return syncUpload(f, end)
		}}
	}
	end, readErr, err := s.copyChunk(f, rec.Offset, rec.Length, r, hashes, cp)
	switch {
	case err == nil && chunkHash != nil && readErr != nil:
		err = readErr // a partial chunk cannot be checked against its sum
	case err == nil && chunkHash != nil && subtle.ConstantTimeCompare(chunkHash.Sum(nil), want.Digest) != 1:
		err = ErrChecksum
	}
	if err != nil {
		// The recorded offset is still rec.Offset: whatever lies past it is
		// ignored and cut off by the next write or by Open's recovery.
		_ = f.Truncate(rec.Offset)
		return rec.Offset, err
	}
	if last && end == rec.Length && readErr == nil {
		return s.finish(f, &rec, running, check)
	}
	if end == rec.Offset {
		return rec.Offset, readErr
	}
	state, err := hashState(running)
	if err == nil {
		err = s.commitChunk(f, path, &rec, end, state)
	}
	if err != nil {
		_ = f.Truncate(rec.Offset) // as above
		return rec.Offset, err
	}
	return end, readErr
}

// finish completes an upload whose last chunk is written (but not yet
// synced) to f, without committing the chunk by itself: check, then
// place (rename, fsync the file, fsync the directory, one commit). A
// crash before the commit leaves the upload at its old offset with its
// file renamed or not; Open renames it back and cuts it to that offset.
//
// A completion that cannot be decided (ErrUndecided) keeps the chunk:
// it is committed by itself, so that the upload is recorded fully
// received, and Complete finishes it later.
func (s *BoltStore) finish(f *os.File, rec *uploadRecord, running hash.Hash, check func(io.Reader) error) (int64, error) {
	old := rec.Offset
	state, err := hashState(running)
	if err != nil {
		_ = f.Truncate(old) // the recorded offset is still old
		return old, err
	}
	if check != nil {
		// Before the fsync: a rejected upload needs none.
		if err := s.checkPart(rec, check); errors.Is(err, ErrUndecided) {
			return s.keepFull(f, rec, state, err)
		} else if err != nil {
			if !errors.Is(err, ErrRejected) {
				_ = f.Truncate(old)
			}
			return old, err
		}
	}
	done := *rec
	done.Offset, done.HashState = rec.Length, state
	syncData := func() error { return syncUpload(f, rec.Length) }
	if _, err := s.place(&done, syncData); errors.Is(err, ErrUndecided) {
		return s.keepFull(f, rec, state, err) // place put the file back
	} else if err != nil {
		if !errors.Is(err, ErrRejected) {
			_ = f.Truncate(old) // place put the file back
		}
		return old, err
	}
	return rec.Length, nil
}

// keepFull commits the last chunk of an upload whose completion could not
// be decided (why wraps ErrUndecided), as WriteChunk would have: the
// upload is then recorded fully received. If that fails too, the chunk
// is dropped as after any failed chunk, and the client sends it again.
func (s *BoltStore) keepFull(f *os.File, rec *uploadRecord, state []byte, why error) (int64, error) {
	old := rec.Offset
	if err := s.commitChunk(f, s.partPath(rec.ID), rec, rec.Length, state); err != nil {
		_ = f.Truncate(old)
		return old, errors.Join(why, err)
	}
	return rec.Length, why
}

// syncPart dates a part file and makes its first n bytes durable.
func (s *BoltStore) syncPart(f *os.File, path string, created Day, n int64) error {
	if err := setDay(path, created); err != nil {
		return fmt.Errorf("store: date upload file: %w", err)
	}
	return syncUpload(f, n)
}

// syncUpload makes the first n bytes of an upload file durable, then lets
// the kernel free the pages that cached them: the server does not read
// an upload back until a courier collects it, usually much later, and a
// gigabyte of uploads kept in the page cache only pushes out what is
// read again (the database's pages). The pages freed serve the next
// writes, its own and other processes': on the shared VM of
// docs/BENCHMARKS.md, where writing into memory never used before costs
// up to ten times more than into pages just freed, refuge submit of 1 GiB
// went 222 -> 246 MB/s, the server's CPU 3.12 -> 2.43 s and the client's
// 4.47 -> 3.83 s (medians of five, alternated).
func syncUpload(f *os.File, n int64) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: sync upload file: %w", err)
	}
	dropCached(f, n)
	return nil
}

// checksumHash returns a fresh hash for a tus checksum, nil for none.
func checksumHash(c *Checksum) (hash.Hash, error) {
	if c == nil {
		return nil, nil
	}
	switch c.Algorithm {
	case "sha256":
		return sha256.New(), nil
	case "sha1":
		return sha1.New(), nil // #nosec G401 -- see the import
	case "crc32c":
		// What refuge's client sends: a checksum guards the transfer
		// against accidental damage, which CRC-32C detects at a tenth of
		// SHA-256's cost. Authenticity is age's (every 64 KiB chunk has a
		// Poly1305 tag) and the acknowledgement's SHA-256 of the whole.
		return crc32.New(crc32c.Table), nil
	}
	return nil, invalid("unsupported checksum algorithm")
}

// copyChunk copies r into f from off, stopping at length, and starts a
// checkpoint (if cp is not nil) every s.checkpoint bytes; the last one
// has finished when it returns. It returns the end offset, the error of r
// if it failed (not io.EOF), and an error that means nothing past the
// last checkpoint may be kept: ErrTooLarge, a write or checkpoint
// failure.
func (s *BoltStore) copyChunk(f *os.File, off, length int64, r io.Reader, hs []hash.Hash, cp *checkpointer) (end int64, readErr, err error) {
	if cp != nil {
		defer func() {
			if werr := cp.wait(); werr != nil && err == nil {
				end, readErr, err = off, nil, werr
			}
		}()
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	w := newBlockWriter(f, hs, s.pipes, *bp, length-off)
	defer w.close()
	fail := func(err error) (int64, error, error) {
		return off, nil, fmt.Errorf("store: write upload file: %w", err)
	}
	end = off
	for end < length {
		b := w.buf()
		n, rerr := fill(r, b.buf[:min(int64(len(b.buf)), length-end)])
		if n > 0 {
			if err := w.writeAt(b, n, end); err != nil {
				return fail(err)
			}
			end += int64(n)
		}
		checkpoint := cp != nil && rerr == nil && end < length && cp.due(end)
		if rerr != nil || checkpoint {
			// What is returned or committed must be written and hashed.
			if err := w.flush(); err != nil {
				return fail(err)
			}
		}
		if checkpoint {
			if err := cp.start(end); err != nil {
				return off, nil, err
			}
		}
		if rerr == io.EOF {
			return end, nil, nil
		}
		if rerr != nil {
			return end, rerr, nil
		}
	}
	if err := w.flush(); err != nil {
		return fail(err)
	}
	// The declared length is reached: one more byte means the chunk is
	// too large.
	var one [1]byte
	n, rerr := fill(r, one[:])
	switch {
	case n > 0:
		return off, nil, fmt.Errorf("upload length %d: %w", length, ErrTooLarge)
	case rerr == io.EOF:
		return end, nil, nil
	}
	return end, rerr, nil
}

// fill reads into b until it is full or r fails (io.EOF included), so
// that writes and hashing work on large blocks whatever sizes the network
// delivers. A reader that keeps returning nothing gets io.ErrNoProgress.
func fill(r io.Reader, b []byte) (int, error) {
	n, empty := 0, 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty == 100 {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}

// commitChunk makes the bytes up to end durable, then records end and the
// hash state. The order is the whole durability argument: a crash before
// the commit leaves the old offset recorded and Open cuts the file back.
func (s *BoltStore) commitChunk(f *os.File, path string, rec *uploadRecord, end int64, state []byte) error {
	if err := s.syncPart(f, path, rec.Created, end); err != nil {
		return err
	}
	// The first bytes: the file's name must be durable too (its
	// directory is synced before the commit, shared with other uploads).
	dir := ""
	if rec.Offset == 0 {
		dir = filepath.Dir(path)
	}
	old := rec.Offset
	next := *rec
	next.Offset, next.HashState = end, state
	// Concurrent uploads' commits share one bbolt transaction (one
	// fsync). The function may run twice, so it only checks and sets.
	err := s.gc.updateAfterSync(dir, func(tx *bolt.Tx) error {
		var cur uploadRecord
		ok, err := get(tx.Bucket(bucketUploads), []byte(rec.ID), &cur)
		if err != nil {
			return err
		}
		if !ok || (cur.Offset != old && cur.Offset != end) {
			return errors.New("store: upload changed during a write")
		}
		return put(tx.Bucket(bucketUploads), []byte(rec.ID), &next)
	})
	if err != nil {
		return err
	}
	*rec = next
	return nil
}
