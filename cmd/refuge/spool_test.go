package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"refuge/crypto/bundle"
	"refuge/internal/crc32c"
)

// The spool's checksums, taken while sealing, are those of its bytes for
// every range a chunk can cover; asked before the range is sealed,
// CRC32C waits for it; ranges off its blocks or past its end, and ranges
// it never got because sealing stopped, are refused, never answered
// wrongly.
func TestSpoolChecksums(t *testing.T) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	recipients := []age.Recipient{id.Recipient()}
	data := make([]byte, 1<<20+12345)
	rand.Read(data)
	contents := bundle.Contents{Kind: bundle.KindAnonymous, SubmissionID: "0123456789abcdef0123456789abcdef",
		ReplyRecipient: id.Recipient().String(), Note: []byte("note")}
	contents.Files = []bundle.File{{Name: "video.bin", Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}}
	contents.Created = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	size, err := bundle.SealedSize(recipients, contents)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), sealedFile)
	sp, err := createSpool(name, size)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()

	// Asked first, answered once sealed.
	type answer struct {
		crc uint32
		ok  bool
	}
	last := make(chan answer, 1)
	go func() {
		crc, ok := sp.CRC32C(size-size%crc32c.Block, size%crc32c.Block)
		last <- answer{crc, ok}
	}()
	sum, err := sp.seal(context.Background(), recipients, contents)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := os.ReadFile(name)
	if err != nil || int64(len(sealed)) != size {
		t.Fatalf("spool of %d bytes (%v), want %d", len(sealed), err, size)
	}
	crcOf := func(b []byte) uint32 { return crc32.Checksum(b, crc32c.Table) }
	if sum != crcOf(sealed) || !spoolIntact(name, size, sum) {
		t.Fatal("the spool's recorded CRC-32C is not that of its bytes")
	}
	if a := <-last; !a.ok || a.crc != crcOf(sealed[size-size%crc32c.Block:]) {
		t.Fatalf("the last partial block, asked before sealing: %08x, %v", a.crc, a.ok)
	}
	for _, c := range []struct{ off, n int64 }{
		{0, size},
		{0, crc32c.Block},
		{crc32c.Block, 8 * crc32c.Block},
		{16 * crc32c.Block, size - 16*crc32c.Block},
	} {
		if crc, ok := sp.CRC32C(c.off, c.n); !ok || crc != crcOf(sealed[c.off:c.off+c.n]) {
			t.Errorf("CRC32C(%d, %d) = %08x, %v; want %08x", c.off, c.n, crc, ok, crcOf(sealed[c.off:c.off+c.n]))
		}
	}
	for _, c := range []struct{ off, n int64 }{
		{1, crc32c.Block},     // off the blocks
		{0, crc32c.Block + 1}, // ends off the blocks, not at the end
		{0, size + 1},         // past the end
		{size, crc32c.Block},  // starts at the end
		{-crc32c.Block, 1},    // negative
		{crc32c.Block, -1},    // negative length
		{1 << 62, 1 << 62},    // overflows
	} {
		if crc, ok := sp.CRC32C(c.off, c.n); ok {
			t.Errorf("CRC32C(%d, %d) = %08x, true; want refused", c.off, c.n, crc)
		}
	}

	// Sealing that stops: what it never wrote is refused, not waited for.
	name2 := filepath.Join(t.TempDir(), sealedFile)
	sp2, err := createSpool(name2, size)
	if err != nil {
		t.Fatal(err)
	}
	defer sp2.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sp2.seal(ctx, recipients, contents); !errors.Is(err, context.Canceled) {
		t.Fatalf("sealing with a cancelled context: %v", err)
	}
	if _, ok := sp2.CRC32C(0, crc32c.Block); ok {
		t.Fatal("a range of a spool whose sealing stopped was answered")
	}
}
