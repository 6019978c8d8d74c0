package bundle

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

func TestEntrySinkCopy(t *testing.T) {
	data := make([]byte, 3*sinkBufSize+12345)
	rand.Read(data)
	sinkErr := errors.New("the source failed")
	tests := []struct {
		desc    string
		src     io.Reader
		want    []byte
		wantErr error
	}{
		{desc: "empty", src: bytes.NewReader(nil), want: []byte{}},
		{desc: "one byte at a time", src: iotest.OneByteReader(bytes.NewReader(data[:5000])), want: data[:5000]},
		{desc: "several buffers", src: bytes.NewReader(data), want: data},
		{desc: "exactly one buffer", src: bytes.NewReader(data[:sinkBufSize]), want: data[:sinkBufSize]},
		{desc: "short stream stays an error", src: io.MultiReader(bytes.NewReader(data[:sinkBufSize+7]), iotest.ErrReader(io.ErrUnexpectedEOF)), wantErr: io.ErrUnexpectedEOF},
		{desc: "source error", src: io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(sinkErr)), wantErr: sinkErr},
	}
	s := newEntrySink()
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			// The same sink serves every entry, as in Open.
			for range 3 {
				p := filepath.Join(t.TempDir(), "entry")
				f, err := os.Create(p)
				if err != nil {
					t.Fatal(err)
				}
				var seen bytes.Buffer
				n, sum, err := s.copy(f, tc.src, &seen)
				f.Close()
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("got error %v, want %v", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if n != int64(len(tc.want)) || !bytes.Equal(got, tc.want) || !bytes.Equal(seen.Bytes(), tc.want) {
					t.Fatalf("copied %d bytes (file %d, extra %d), want %d", n, len(got), seen.Len(), len(tc.want))
				}
				if h := sha256.Sum256(tc.want); sum != hexSum(h[:]) {
					t.Fatalf("sum %s, want %x", sum, h)
				}
				if _, ok := tc.src.(*bytes.Reader); !ok {
					return
				}
				tc.src.(*bytes.Reader).Seek(0, io.SeekStart)
			}
		})
	}
}

func TestEntrySinkWriteError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "entry")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p) // read only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Twice the sink's buffers: the reader can fill them all before the
	// writer runs, but a buffer comes back only after the writer has failed
	// on one, so it must stop then, however the goroutines are scheduled.
	src := bytes.NewReader(make([]byte, 2*sinkBufCount*sinkBufSize))
	_, _, err = newEntrySink().copy(f, src, nil)
	var we *errEntryWrite
	if !errors.As(err, &we) {
		t.Fatalf("got %v, want a write error", err)
	}
	if src.Len() == 0 {
		t.Fatal("the sink read the whole entry after a write failed")
	}
	if err := writeErr(err); errors.Is(err, ErrNotBundle) {
		t.Fatalf("a write error is blamed on the bundle: %v", err)
	}
}
