package storetest

import (
	"bytes"
	"context"
	"crypto/sha1" // #nosec G505 -- tus checksums may be sha1; the suite checks they work
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"sync"
	"testing"
	"testing/iotest"

	"refuge/server/store"
)

func testWriteChunks(t *testing.T, s store.Store) {
	data := Data(3<<20 + 17)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	var off int64
	for _, n := range []int{1, 100, 1 << 20, 3, 2<<20 - 104, 17} {
		off = write(t, s, u.ID, off, data[off:off+int64(n)])
		if got := offsetOf(t, s, u.ID); got != off {
			t.Fatalf("Upload offset %d after writing to %d", got, off)
		}
	}
	write(t, s, u.ID, off, nil) // an empty chunk changes nothing
	sub := complete(t, s, u.ID)
	checkStored(t, s, sub, data)

	// Readers that deliver bytes one at a time, in halves, or with io.EOF
	// on the last data are all read to the end.
	readers := []struct {
		desc string
		wrap func(io.Reader) io.Reader
	}{
		{"one byte per read", iotest.OneByteReader},
		{"half reads", iotest.HalfReader},
		{"EOF with data", iotest.DataErrReader},
	}
	for _, tc := range readers {
		data := Data(300<<10 + 1)
		u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
		create(t, s, u)
		n, err := s.WriteChunk(context.Background(), u.ID, 0, tc.wrap(bytes.NewReader(data)), nil)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%s: WriteChunk %d, %v", tc.desc, n, err)
		}
		checkStored(t, s, complete(t, s, u.ID), data)
	}
}

func checkStored(t *testing.T, s store.Store, sub store.Submission, data []byte) {
	t.Helper()
	if sub.SHA256 != sha256.Sum256(data) || sub.Size != int64(len(data)) {
		t.Fatal("submission hash or size differs from the data written")
	}
	c, err := s.OpenCiphertext(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, c), data) {
		t.Fatal("stored ciphertext differs from the data written")
	}
}

func testWriteChunkOffsetMismatch(t *testing.T, s store.Store) {
	u := newUpload(t, store.KindAnonymous, NewID(t), 100)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("hello"))
	for _, off := range []int64{0, 4, 6, 100, -1} {
		n, err := s.WriteChunk(context.Background(), u.ID, off, bytes.NewReader([]byte("x")), nil)
		wantErr(t, "WriteChunk at wrong offset", err, store.ErrOffsetMismatch)
		if n != 5 {
			t.Fatalf("WriteChunk at wrong offset returned %d, want the current offset 5", n)
		}
	}
	if got := offsetOf(t, s, u.ID); got != 5 {
		t.Fatalf("offset %d, want 5", got)
	}
}

func testWriteChunkTooLarge(t *testing.T, s store.Store) {
	data := Data(100)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	write(t, s, u.ID, 0, data[:40])
	tests := []struct {
		desc string
		body []byte
	}{
		{"one byte too many", append(slices.Clone(data[40:]), 'x')},
		{"far too many", Data(3 << 20)},
	}
	for _, tc := range tests {
		n, err := s.WriteChunk(context.Background(), u.ID, 40, bytes.NewReader(tc.body), nil)
		wantErr(t, tc.desc, err, store.ErrTooLarge)
		if n != 40 || offsetOf(t, s, u.ID) != 40 {
			t.Fatalf("%s: offset moved to %d", tc.desc, n)
		}
	}
	write(t, s, u.ID, 40, data[40:])
	sub := complete(t, s, u.ID)
	if sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("bytes of a refused chunk leaked into the ciphertext")
	}
}

func testWriteChunkChecksum(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(3000)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	s256 := sha256.Sum256(data[:1000])
	s1 := sha1.Sum(data[1000:2000]) // #nosec G401 -- as above
	bad := sha256.Sum256(data[:1])
	tests := []struct {
		desc    string
		off     int64
		chunk   []byte
		sum     store.Checksum
		wantOff int64
		wantErr error
	}{
		{"sha256 matches", 0, data[:1000], store.Checksum{Algorithm: "sha256", Digest: s256[:]}, 1000, nil},
		{"sha256 differs", 1000, data[1000:2000], store.Checksum{Algorithm: "sha256", Digest: bad[:]}, 1000, store.ErrChecksum},
		{"digest too short", 1000, data[1000:2000], store.Checksum{Algorithm: "sha1", Digest: s1[:10]}, 1000, store.ErrChecksum},
		{"unknown algorithm", 1000, data[1000:2000], store.Checksum{Algorithm: "md5", Digest: s1[:]}, 1000, store.ErrInvalid},
		{"sha1 matches", 1000, data[1000:2000], store.Checksum{Algorithm: "sha1", Digest: s1[:]}, 2000, nil},
		{"crc32c differs", 2000, data[2000:3000], store.Checksum{Algorithm: "crc32c", Digest: []byte{0, 0, 0, 0}}, 2000, store.ErrChecksum},
		{"crc32c matches", 2000, data[2000:3000], store.Checksum{Algorithm: "crc32c", Digest: crc32c(data[2000:3000])}, 3000, nil},
	}
	for _, tc := range tests {
		n, err := s.WriteChunk(ctx, u.ID, tc.off, bytes.NewReader(tc.chunk), &tc.sum)
		if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
			t.Fatalf("%s: error %v, want %v", tc.desc, err, tc.wantErr)
		}
		if n != tc.wantOff || offsetOf(t, s, u.ID) != tc.wantOff {
			t.Fatalf("%s: offset %d, want %d", tc.desc, n, tc.wantOff)
		}
	}
	write(t, s, u.ID, 3000, data[3000:])
	if sub := complete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("a refused chunk changed the ciphertext")
	}
}

// cutReader yields data, then fails like a dropped connection.
type cutReader struct {
	r   io.Reader
	err error
}

var errCut = errors.New("connection reset")

func (c *cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		return n, c.err
	}
	return n, err
}

func testWriteChunkCut(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(5 << 20)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)

	n, err := s.WriteChunk(ctx, u.ID, 0, &cutReader{bytes.NewReader(data[:3<<20+5]), errCut}, nil)
	wantErr(t, "cut chunk", err, errCut)
	if n != 3<<20+5 || offsetOf(t, s, u.ID) != n {
		t.Fatalf("cut chunk: offset %d, want every byte that arrived (%d)", n, 3<<20+5)
	}
	digest := sha256.Sum256(data[n : n+1000])
	n2, err := s.WriteChunk(ctx, u.ID, n, &cutReader{bytes.NewReader(data[n : n+500]), errCut}, &store.Checksum{Algorithm: "sha256", Digest: digest[:]})
	wantErr(t, "cut chunk with checksum", err, errCut)
	if n2 != n || offsetOf(t, s, u.ID) != n {
		t.Fatalf("cut chunk with checksum: offset %d, want it unchanged at %d", n2, n)
	}
	n, err = s.WriteChunk(ctx, u.ID, n, &cutReader{bytes.NewReader(nil), errCut}, nil)
	wantErr(t, "chunk cut before any byte", err, errCut)
	n2, err = s.WriteChunk(ctx, u.ID, n, stuckReader{}, nil)
	if err == nil || n2 != n {
		t.Fatalf("a reader that never delivers: %d, %v; want an error and offset %d", n2, err, n)
	}
	write(t, s, u.ID, n, data[n:])
	if sub := complete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("ciphertext differs after resuming a cut upload")
	}
}

// stuckReader returns nothing and no error, forever.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

// gateReader blocks its first Read until release is closed.
type gateReader struct {
	started chan struct{}
	release chan struct{}
	r       io.Reader
	once    sync.Once
}

func (g *gateReader) Read(p []byte) (int, error) {
	g.once.Do(func() { close(g.started); <-g.release })
	return g.r.Read(p)
}

func testWriteChunkLocked(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(200)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	g := &gateReader{started: make(chan struct{}), release: make(chan struct{}), r: bytes.NewReader(data[:100])}
	done := make(chan error)
	go func() {
		_, err := s.WriteChunk(ctx, u.ID, 0, g, nil)
		done <- err
	}()
	<-g.started
	_, err := s.WriteChunk(ctx, u.ID, 0, bytes.NewReader(data[:100]), nil)
	wantErr(t, "second writer", err, store.ErrLocked)
	wantErr(t, "delete while writing", s.DeleteUpload(ctx, u.ID), store.ErrLocked)
	_, err = s.Complete(ctx, u.ID, nil)
	wantErr(t, "complete while writing", err, store.ErrLocked)
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("first writer: %v", err)
	}
	write(t, s, u.ID, 100, data[100:])
	if sub := complete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("ciphertext differs")
	}
}

func testWriteChunkUnknown(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{NewID(t), "", "../x", "%2F..%2F"} {
		_, err := s.WriteChunk(ctx, id, 0, bytes.NewReader([]byte("x")), nil)
		wantErr(t, "WriteChunk to "+id, err, store.ErrNotFound)
		_, err = s.Complete(ctx, id, nil)
		wantErr(t, "Complete of "+id, err, store.ErrNotFound)
		wantErr(t, "DeleteUpload of "+id, s.DeleteUpload(ctx, id), store.ErrNotFound)
	}
}

// crc32c is the CRC-32C of b as a tus digest: 4 big-endian bytes.
func crc32c(b []byte) []byte {
	return binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}
