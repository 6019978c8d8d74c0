package store_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"refuge/internal/pagecache"
	"refuge/server/store"
	"refuge/server/store/storetest"
)

// Once an upload's bytes are fsynced, the store lets the kernel free the
// pages that cached them: after a committed chunk (with and without a
// checksum, long enough for steps on the way) and after the last one,
// none of the file's pages is left in the page cache.
func TestSyncedUploadsLeaveThePageCache(t *testing.T) {
	const step = 256 << 10
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{Now: testNow, CheckpointBytes: step})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	data := storetest.Data(12 * step)
	u := newUpload(t, store.KindAnonymous, storetest.NewID(t), len(data))
	mustCreate(t, s, u)
	part := filepath.Join(dir, "uploads", u.ID+".part")

	first, second := data[:5*step], data[5*step:10*step]
	if n, err := s.WriteChunk(ctx, u.ID, 0, bytes.NewReader(first), nil); err != nil || n != int64(len(first)) {
		t.Fatalf("first chunk: %d, %v", n, err)
	}
	if c := pagecache.Cached(t, part, len(first)); c != 0 {
		t.Errorf("after a chunk without a checksum: %d pages of it still cached", c)
	}
	sum := &store.Checksum{Algorithm: "crc32c", Digest: binary.BigEndian.AppendUint32(nil, crc32.Checksum(second, crc32.MakeTable(crc32.Castagnoli)))}
	if n, err := s.WriteChunk(ctx, u.ID, int64(len(first)), bytes.NewReader(second), sum); err != nil || n != 10*step {
		t.Fatalf("second chunk: %d, %v", n, err)
	}
	if c := pagecache.Cached(t, part, 10*step); c != 0 {
		t.Errorf("after a chunk with a checksum: %d pages still cached", c)
	}
	if n, err := s.WriteLastChunk(ctx, u.ID, 10*step, bytes.NewReader(data[10*step:]), nil, nil); err != nil || n != int64(len(data)) {
		t.Fatalf("last chunk: %d, %v", n, err)
	}
	blob := filepath.Join(dir, "blobs", u.SubmissionID+".age")
	if c := pagecache.Cached(t, blob, len(data)); c != 0 {
		t.Errorf("after the last chunk: %d pages of the stored upload still cached", c)
	}
	got, err := os.ReadFile(blob)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored upload differs: %v", err)
	}
}
