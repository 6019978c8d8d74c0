package store_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
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

// A long chunk is committed every CheckpointBytes, in the background:
// while it is still arriving, the store already reports (durably) the
// last checkpoint or, if that one's commit still runs, the one before.
func TestCheckpointsInLongChunks(t *testing.T) {
	const step = 1 << 20
	tests := []struct {
		desc    string
		end     error // what the reader returns after pausing
		extra   []byte
		wantErr error
		wantOff int64
	}{
		{"cut after the pause keeps every byte", errors.New("connection reset"), nil, nil, 3*step + step/2},
		{"overflow keeps the checkpoints", io.EOF, []byte("past the end"), store.ErrTooLarge, 3 * step},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := store.Open(t.TempDir(), store.Options{Now: testNow, CheckpointBytes: step})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			data := storetest.Data(3*step + step/2)
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
			if got, err := s.Upload(ctx, u.ID); err != nil || got.Offset != 3*step && got.Offset != 2*step {
				t.Fatalf("offset while the chunk arrives: %d, %v; want the checkpoint %d or %d", got.Offset, err, 3*step, 2*step)
			}
			close(body.resume)
			res := <-done
			wantRead := tc.end
			if tc.extra != nil {
				wantRead = tc.wantErr
			}
			if !errors.Is(res.err, wantRead) || res.n != tc.wantOff {
				t.Fatalf("WriteChunk: %d, %v; want %d, %v", res.n, res.err, tc.wantOff, wantRead)
			}
			if got, _ := s.Upload(ctx, u.ID); got.Offset != tc.wantOff {
				t.Fatalf("offset %d, want %d", got.Offset, tc.wantOff)
			}
			// Finish from where the store says, and check the hash.
			mustWrite(t, s, u.ID, tc.wantOff, data[tc.wantOff:])
			if sub := mustComplete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
				t.Fatal("hash differs after checkpoints")
			}
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
