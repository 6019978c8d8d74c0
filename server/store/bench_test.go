package store_test

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"refuge/server/store"
	"refuge/server/store/storetest"

	bolt "go.etcd.io/bbolt"
)

// Benchmarks of the ciphertext path, with a plain fsynced file write as
// the physical reference (DESIGN.md section 8). Run:
//
//	go test -run '^$' -bench . -benchmem ./server/store/
//
// Each reports MB/s, allocations and the process's peak RSS.

// patternReader yields n bytes by repeating a random block, so the
// benchmark measures the store, not a generator.
type patternReader struct {
	block []byte
	off   int
	n     int64
}

func newPattern(block []byte, n int64) *patternReader { return &patternReader{block: block, n: n} }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n)]
	n := 0
	for n < len(b) {
		c := copy(b[n:], p.block[p.off:])
		n += c
		p.off = (p.off + c) % len(p.block)
	}
	p.n -= int64(n)
	return n, nil
}

func benchStore(b *testing.B) *store.BoltStore {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchUpload(b *testing.B, length int64) store.Upload {
	return store.Upload{
		ID: storetest.NewID(b), Length: length, Created: "2026-11-30", Expires: "2999-12-31",
		Kind: store.KindAnonymous, SubmissionID: storetest.NewID(b),
	}
}

// BenchmarkWriteChunk: one upload receiving consecutive 1 MiB chunks
// (each fsynced and committed), and single 1 GiB chunks.
func BenchmarkWriteChunk(b *testing.B) {
	block := storetest.Data(1 << 20)
	b.Run("1MiB-chunks", func(b *testing.B) {
		s := benchStore(b)
		u := benchUpload(b, int64(b.N)<<20)
		if err := s.CreateUpload(ctx, u); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(1 << 20)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.WriteChunk(ctx, u.ID, int64(i)<<20, newPattern(block, 1<<20), nil); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportPeakRSS(b)
	})
	// 8 MiB chunks without a tus checksum, with crc32c (what refuge's
	// client sends) and with sha256 (the chunk hashed beside the running
	// SHA-256 of the upload).
	for _, algo := range []string{"", "crc32c", "sha256"} {
		b.Run("8MiB-chunks-"+cmp.Or(algo, "nosum"), func(b *testing.B) { benchChecksums(b, block, algo) })
	}
	// Memory is flat if 4 GiB allocates what 1 GiB does.
	for _, size := range []int64{1 << 30, 4 << 30} {
		b.Run(fmt.Sprintf("%dGiB-chunk", size>>30), func(b *testing.B) { benchOneChunk(b, block, size) })
	}
}

func benchChecksums(b *testing.B, block []byte, algo string) {
	s := benchStore(b)
	const n = 8 << 20
	chunk := make([]byte, n)
	for i := 0; i < n; i += len(block) {
		copy(chunk[i:], block)
	}
	var sum *store.Checksum
	switch algo {
	case "sha256":
		d := sha256.Sum256(chunk)
		sum = &store.Checksum{Algorithm: algo, Digest: d[:]}
	case "crc32c":
		sum = &store.Checksum{Algorithm: algo, Digest: binary.BigEndian.AppendUint32(nil, crc32.Checksum(chunk, crc32.MakeTable(crc32.Castagnoli)))}
	}
	u := benchUpload(b, int64(b.N)*n)
	if err := s.CreateUpload(ctx, u); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.WriteChunk(ctx, u.ID, int64(i)*n, bytes.NewReader(chunk), sum); err != nil {
			b.Fatal(err)
		}
	}
}

func benchOneChunk(b *testing.B, block []byte, size int64) {
	s := benchStore(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		u := benchUpload(b, size)
		if err := s.CreateUpload(ctx, u); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.WriteChunk(ctx, u.ID, 0, newPattern(block, size), nil); err != nil {
			b.Fatal(err)
		}
		sub, err := s.Complete(ctx, u.ID, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.DeleteSubmission(ctx, sub.ID, sub.SHA256); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportPeakRSS(b)
}

// BenchmarkConcurrentUploads: 64 uploads of 1 MiB at once, each created,
// written in one chunk and completed (DESIGN.md section 8's workload).
func BenchmarkConcurrentUploads(b *testing.B) {
	block := storetest.Data(1 << 20)
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("%d-uploads-of-1MiB", n), func(b *testing.B) {
			s := benchStore(b)
			b.SetBytes(int64(n) << 20)
			b.ReportAllocs()
			for range b.N {
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						u := benchUpload(b, 1<<20)
						if err := s.CreateUpload(ctx, u); err != nil {
							b.Error(err)
							return
						}
						if _, err := s.WriteChunk(ctx, u.ID, 0, newPattern(block, 1<<20), nil); err != nil {
							b.Error(err)
							return
						}
						if _, err := s.Complete(ctx, u.ID, nil); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			b.StopTimer()
			reportPeakRSS(b)
		})
	}
}

// BenchmarkPlainFile is the reference: write the same bytes to a file
// and fsync it, with no store around it.
func BenchmarkPlainFile(b *testing.B) {
	block := storetest.Data(1 << 20)
	b.Run("1MiB-chunks", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "plain"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.SetBytes(1 << 20)
		b.ReportAllocs()
		for i := range b.N {
			if _, err := f.WriteAt(block, int64(i)<<20); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("1GiB-chunk", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(1 << 30)
		b.ReportAllocs()
		buf := make([]byte, 1<<20)
		for i := range b.N {
			f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(f, newPattern(block, 1<<30), buf); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			b.StopTimer()
			os.Remove(f.Name())
			b.StartTimer()
		}
	})
	b.Run("64-files-of-1MiB", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(64 << 20)
		b.ReportAllocs()
		for i := range b.N {
			var wg sync.WaitGroup
			for j := range 64 {
				wg.Go(func() {
					f, err := os.Create(filepath.Join(dir, fmt.Sprint(i, "-", j)))
					if err != nil {
						b.Error(err)
						return
					}
					defer f.Close()
					f.Write(block)
					if err := f.Sync(); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		}
	})
}

// BenchmarkBboltValues is the design that was not taken: the ciphertext
// itself as bbolt values, 1 MiB per transaction (DESIGN.md section 8).
func BenchmarkBboltValues(b *testing.B) {
	block := storetest.Data(1 << 20)
	db, err := bolt.Open(filepath.Join(b.TempDir(), "blobs.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for i := range b.N {
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("blobs"))
			if err != nil {
				return err
			}
			return bk.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), block)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportPeakRSS(b)
}
