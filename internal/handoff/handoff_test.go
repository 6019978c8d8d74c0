package handoff

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// What goes in comes out in order, whatever the pieces' sizes, and the
// consumer never sees more than one buffer at a time.
func TestOrderAndSizes(t *testing.T) {
	data := make([]byte, 256<<10+12345)
	for i := range data {
		data[i] = byte(rand.N(256))
	}
	for _, size := range []int{3, 4096, 65536, 1 << 20} {
		var got bytes.Buffer
		w := New(3, size, func(b []byte) error {
			if len(b) > size || len(b) == 0 {
				t.Errorf("buffer of %d bytes, size %d", len(b), size)
			}
			got.Write(b)
			return nil
		})
		for rest := data; len(rest) > 0; {
			k := min(len(rest), 1+rand.N(100000))
			if n, err := w.Write(rest[:k]); n != k || err != nil {
				t.Fatalf("Write: %d, %v", n, err)
			}
			rest = rest[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal("a second Close failed")
		}
		if !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("size %d: %d bytes out of %d, or in the wrong order", size, got.Len(), len(data))
		}
	}
}

// The consumer's first error stops it, reaches the writer and Close.
func TestConsumerError(t *testing.T) {
	boom := errors.New("disk on fire")
	calls := 0
	w := New(2, 10, func(b []byte) error {
		calls++
		if calls == 2 {
			return boom
		}
		return nil
	})
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = w.Write(make([]byte, 10))
	}
	if !errors.Is(err, boom) {
		t.Fatalf("Write after the consumer failed: %v", err)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v", err)
	}
	if calls != 2 {
		t.Fatalf("the consumer was called %d times; after its error it must not be", calls)
	}
}

// Tee gives dst and the consumer the same bytes in order, whatever the
// reader's piece sizes, and mixes with Write.
func TestTee(t *testing.T) {
	data := make([]byte, 300<<10+77)
	for i := range data {
		data[i] = byte(rand.N(256))
	}
	for _, size := range []int{5, 4096, 1 << 20} {
		var consumed, teed bytes.Buffer
		w := New(3, size, func(b []byte) error { consumed.Write(b); return nil })
		if _, err := w.Write(data[:100]); err != nil {
			t.Fatal(err)
		}
		n, err := w.Tee(&teed, iotest.HalfReader(bytes.NewReader(data[100:])))
		if err != nil || n != int64(len(data)-100) {
			t.Fatalf("Tee: %d, %v", n, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(consumed.Bytes(), data) || !bytes.Equal(teed.Bytes(), data[100:]) {
			t.Fatalf("size %d: consumer got %d bytes, dst %d, or in the wrong order", size, consumed.Len(), teed.Len())
		}
	}
}

// Tee returns the reader's, dst's and the consumer's errors.
func TestTeeErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	w := New(2, 10, func([]byte) error { return nil })
	if _, err := w.Tee(io.Discard, iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Fatalf("reader's error: %v", err)
	}
	if _, err := w.Tee(failWriter{boom}, bytes.NewReader([]byte("abc"))); !errors.Is(err, boom) {
		t.Fatalf("dst's error: %v", err)
	}
	w.Close()

	w = New(2, 10, func([]byte) error { return boom })
	if _, err := w.Tee(io.Discard, bytes.NewReader(make([]byte, 1000))); !errors.Is(err, boom) {
		t.Fatalf("consumer's error: %v", err)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }
