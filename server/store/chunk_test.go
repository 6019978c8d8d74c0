package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"

	"refuge/server/store"
	"refuge/server/store/storetest"
)

// pausingReader delivers data, then blocks on the next Read until resume
// is closed, then returns err.
type pausingReader struct {
	r       io.Reader
	paused  chan struct{}
	resume  chan struct{}
	err     error
	stopped bool
}

func (p *pausingReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != io.EOF {
		return n, err
	}
	if !p.stopped {
		p.stopped = true
		close(p.paused)
		<-p.resume
	}
	return n, p.err
}

// A long chunk is committed every CheckpointBytes, in the background: a
// step that comes while the commit before runs is skipped, unless the
// chunk is two steps past the last commit started. While it is still
// arriving, the store already reports (durably) a recent checkpoint.
func TestCheckpointsInLongChunks(t *testing.T) {
	const step = 256 << 10 // one block: the store's buffer
	const steps = 16
	tests := []struct {
		desc    string
		end     error // what the reader returns after pausing
		extra   []byte
		wantErr error
		lo, hi  int64 // offset WriteChunk returns
	}{
		{"cut after the pause keeps every byte", errors.New("connection reset"), nil, nil, steps*step + step/2, steps*step + step/2},
		// The last commit started at 15 or 16 (at 16 if it had not by
		// then): it is the one kept.
		{"overflow keeps the checkpoints", io.EOF, []byte("past the end"), store.ErrTooLarge, (steps - 1) * step, steps * step},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := store.Open(t.TempDir(), store.Options{Now: testNow, CheckpointBytes: step})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			data := storetest.Data(steps*step + step/2)
			u := newUpload(t, store.KindAnonymous, storetest.NewID(t), len(data))
			mustCreate(t, s, u)
			body := &pausingReader{r: bytes.NewReader(data), paused: make(chan struct{}), resume: make(chan struct{}), err: tc.end}
			var r io.Reader = body
			if tc.extra != nil {
				r = io.MultiReader(body, bytes.NewReader(tc.extra))
			}
			type result struct {
				n   int64
				err error
			}
			done := make(chan result)
			go func() {
				n, err := s.WriteChunk(ctx, u.ID, 0, r, nil)
				done <- result{n, err}
			}()
			<-body.paused
			// 16 steps are in: the last commit started at 15 or 16, the
			// one before it (finished) at 13 or later.
			if got, err := s.Upload(ctx, u.ID); err != nil || got.Offset < (steps-3)*step || got.Offset > steps*step || got.Offset%step != 0 {
				t.Fatalf("offset while the chunk arrives: %d, %v; want a checkpoint from %d to %d", got.Offset, err, (steps-3)*step, steps*step)
			}
			close(body.resume)
			res := <-done
			wantRead := tc.end
			if tc.extra != nil {
				wantRead = tc.wantErr
			}
			if !errors.Is(res.err, wantRead) || res.n < tc.lo || res.n > tc.hi {
				t.Fatalf("WriteChunk: %d, %v; want %d to %d, %v", res.n, res.err, tc.lo, tc.hi, wantRead)
			}
			if got, _ := s.Upload(ctx, u.ID); got.Offset != res.n {
				t.Fatalf("offset %d, want %d", got.Offset, res.n)
			}
			// Finish from where the store says, and check the hash.
			mustWrite(t, s, u.ID, res.n, data[res.n:])
			if sub := mustComplete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
				t.Fatal("hash differs after checkpoints")
			}
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A long chunk with a checksum is synced step by step on the way, but
// nothing of it is committed before all of it is there and matches its
// sum: while it arrives the store still reports the old offset, a cut or
// a wrong sum keeps nothing, and a right sum keeps it all.
func TestChecksummedLongChunk(t *testing.T) {
	const step = 256 << 10
	const steps = 16
	data := storetest.Data(steps*step + step/2)
	crc := func(b []byte) []byte {
		return binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	}
	tests := []struct {
		desc    string
		end     error // what the reader returns after pausing
		sum     []byte
		wantErr error
		want    int64
	}{
		{"right sum keeps it all", io.EOF, crc(data), nil, int64(len(data))},
		{"wrong sum keeps nothing", io.EOF, crc(data[1:]), store.ErrChecksum, 0},
		{"cut keeps nothing", errors.New("connection reset"), crc(data), nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := store.Open(t.TempDir(), store.Options{Now: testNow, CheckpointBytes: step})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			u := newUpload(t, store.KindAnonymous, storetest.NewID(t), len(data))
			mustCreate(t, s, u)
			body := &pausingReader{r: bytes.NewReader(data), paused: make(chan struct{}), resume: make(chan struct{}), err: tc.end}
			type result struct {
				n   int64
				err error
			}
			done := make(chan result)
			go func() {
				n, err := s.WriteChunk(ctx, u.ID, 0, body, &store.Checksum{Algorithm: "crc32c", Digest: tc.sum})
				done <- result{n, err}
			}()
			<-body.paused
			if got, err := s.Upload(ctx, u.ID); err != nil || got.Offset != 0 {
				t.Fatalf("offset while a checksummed chunk arrives: %d, %v; want 0", got.Offset, err)
			}
			close(body.resume)
			res := <-done
			wantErr := tc.wantErr
			if wantErr == nil && tc.end != io.EOF {
				wantErr = tc.end
			}
			if res.n != tc.want || (wantErr == nil) != (res.err == nil) || wantErr != nil && !errors.Is(res.err, wantErr) {
				t.Fatalf("WriteChunk: %d, %v; want %d, %v", res.n, res.err, tc.want, wantErr)
			}
			if got, _ := s.Upload(ctx, u.ID); got.Offset != tc.want {
				t.Fatalf("offset %d, want %d", got.Offset, tc.want)
			}
			if tc.want == 0 {
				mustWrite(t, s, u.ID, 0, data)
			}
			if sub := mustComplete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
				t.Fatal("stored bytes differ")
			}
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
