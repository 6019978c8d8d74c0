package store_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"refuge/server/store"
	"refuge/server/store/storetest"
)

// raggedReader hands out its data in reads of random sizes, as a network
// connection does.
type raggedReader struct {
	data []byte
	rnd  *rand.Rand
}

func (r *raggedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1+r.rnd.IntN(100<<10))], r.data)
	r.data = r.data[n:]
	return n, nil
}

// Long chunks are written, hashed and read from the network side by side
// (the store pipelines them). More of them at once than the store
// pipelines (eight): those that get no pipeline are copied one block at a
// time; either way every byte lands where it belongs, the upload's
// SHA-256 and the chunk's checksum cover exactly what was sent, and a
// wrong checksum over a long chunk keeps nothing of it. Every third
// chunk is just over 1 MiB, where the store copies the first MiB one
// block at a time and does not pipeline for the few bytes left.
func TestLongChunksPipelined(t *testing.T) {
	s, err := store.Open(t.TempDir(), store.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const uploads = 12
	var wg sync.WaitGroup
	errs := make(chan error, uploads)
	for i := range uploads {
		size := 3<<20 + i*7777
		if i%3 == 1 {
			size = 1<<20 + i*777
		}
		data := storetest.Data(size)
		u := newUpload(t, store.KindAnonymous, storetest.NewID(t), len(data))
		mustCreate(t, s, u)
		wg.Go(func() {
			errs <- longChunk(s, u, data, i)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// longChunk sends data as one chunk: with a CRC-32C checksum for even i
// (for i = 0, a wrong one first), without for odd i.
func longChunk(s store.Store, u store.Upload, data []byte, i int) error {
	rnd := rand.New(rand.NewPCG(uint64(i), 1))
	var sum *store.Checksum
	if i%2 == 0 {
		h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
		h.Write(data)
		sum = &store.Checksum{Algorithm: "crc32c", Digest: h.Sum(nil)}
	}
	if i == 0 {
		bad := &store.Checksum{Algorithm: "crc32c", Digest: bytes.Clone(sum.Digest)}
		bad.Digest[3] ^= 1
		n, err := s.WriteChunk(ctx, u.ID, 0, &raggedReader{data, rnd}, bad)
		if !errors.Is(err, store.ErrChecksum) || n != 0 {
			return fmt.Errorf("upload %d, wrong checksum: %d, %v; want 0, %v", i, n, err, store.ErrChecksum)
		}
		if up, err := s.Upload(ctx, u.ID); err != nil || up.Offset != 0 {
			return fmt.Errorf("upload %d: offset %d after a refused chunk, want 0 (%v)", i, up.Offset, err)
		}
	}
	n, err := s.WriteChunk(ctx, u.ID, 0, &raggedReader{data, rnd}, sum)
	if err != nil || n != int64(len(data)) {
		return fmt.Errorf("upload %d: %d, %v; want %d", i, n, err, len(data))
	}
	sub, err := s.Complete(ctx, u.ID, nil)
	if err != nil {
		return fmt.Errorf("upload %d: %v", i, err)
	}
	if sub.SHA256 != sha256.Sum256(data) {
		return fmt.Errorf("upload %d: hash differs", i)
	}
	f, err := s.OpenCiphertext(ctx, sub.ID)
	if err != nil {
		return fmt.Errorf("upload %d: %v", i, err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		return fmt.Errorf("upload %d: stored bytes differ (%v)", i, err)
	}
	return nil
}

// fsizeEnv makes this test binary a process whose files may not grow past
// a limit (RLIMIT_FSIZE), so that a write fails for real in the middle of
// a long chunk: see TestWriteFailsMidChunk.
const fsizeEnv = "REFUGE_STORE_FSIZE_WRITER_DIR"

const (
	fsizeLimit = 2<<20 + 100<<10 // the part file's writes fail past this
	fsizeChunk = 4 << 20
	fsizeStep  = 256 << 10
)

// fsizeUpload is the upload the limited writer starts.
func fsizeUpload() store.Upload {
	return store.Upload{
		ID: crashID("fsize", 0, 0), Length: fsizeChunk, Created: "2026-11-30", Expires: "2999-12-31",
		Kind: store.KindAnonymous, SubmissionID: crashID("fsize-submission", 0, 0),
	}
}

func fsizeData() []byte { return bytes.Repeat(crashBlock(), fsizeChunk/len(crashBlock())) }

// A write that fails in the middle of a long, pipelined chunk (here: the
// file may grow no further) fails the chunk with the write's error. The
// store keeps the checkpoints committed before it, reports that offset
// and nothing past it, and the upload completes from there once the disk
// takes writes again.
func TestWriteFailsMidChunk(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fsizeEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("limited writer: %v\n%s", err, out)
	}
	lines := strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "offset ") {
		t.Fatalf("limited writer said %q", out)
	}
	got, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "offset "), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lines[1], "write upload file") || !strings.Contains(lines[1], "file too large") {
		t.Fatalf("WriteChunk's error: %q, want the write's failure", lines[1])
	}
	// Checkpoints every 256 KiB, the last two started at least (see
	// TestCheckpointsInLongChunks) a step apart before the limit.
	if got <= 0 || got > fsizeLimit || got%fsizeStep != 0 {
		t.Fatalf("WriteChunk returned offset %d, want a checkpoint below %d", got, fsizeLimit)
	}

	s := openBolt(t, dir)
	defer s.Close()
	u := fsizeUpload()
	up, err := s.Upload(ctx, u.ID)
	if err != nil || up.Offset != got {
		t.Fatalf("after reopening: offset %d (%v), want %d", up.Offset, err, got)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	data := fsizeData()
	mustWrite(t, s, u.ID, got, data[got:])
	if sub := mustComplete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("hash differs after resuming past a failed write")
	}
}
