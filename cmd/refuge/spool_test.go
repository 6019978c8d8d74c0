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
	"strings"
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
	if sum != crcOf(sealed) || !spoolIntact(name, size, sum, 0, 0) {
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

	// Releasing what the server holds: recorded first, then freed; reads
	// of the freed part fail, the rest still reads; the spool checks from
	// where it was freed, and not with anything else recorded.
	var gotUpTo int64
	var gotCRC uint32
	failRecord := true
	sp.onRelease = func(upTo int64, crc uint32) error {
		if failRecord {
			return errors.New("disk full")
		}
		gotUpTo, gotCRC = upTo, crc
		return nil
	}
	sp.Release(3*crc32c.Block + 100)
	if _, err := sp.ReadAt(make([]byte, 10), 0); err != nil {
		t.Fatalf("a release that could not be recorded freed the bytes: %v", err)
	}
	failRecord = false
	sp.Release(3*crc32c.Block + 100)
	if gotUpTo != 3*crc32c.Block || gotCRC != crcOf(sealed[:3*crc32c.Block]) {
		t.Fatalf("recorded release to %d (%08x), want %d (%08x)", gotUpTo, gotCRC, 3*crc32c.Block, crcOf(sealed[:3*crc32c.Block]))
	}
	sp.Release(crc32c.Block) // less than before: nothing
	if gotUpTo != 3*crc32c.Block {
		t.Fatal("a smaller release was recorded")
	}
	if _, err := sp.ReadAt(make([]byte, 10), 3*crc32c.Block-5); !errors.Is(err, errReleased) {
		t.Fatalf("reading freed bytes: %v, want %v", err, errReleased)
	}
	if _, ok := sp.CRC32C(0, crc32c.Block); ok {
		t.Fatal("the checksum of freed bytes was answered")
	}
	if _, err := sp.ReadAt(make([]byte, 10), 3*crc32c.Block); err != nil {
		t.Fatal("the bytes past the release no longer read")
	}
	freed, _ := os.ReadFile(name)
	if !bytes.Equal(freed[:3*crc32c.Block], make([]byte, 3*crc32c.Block)) || !bytes.Equal(freed[3*crc32c.Block:], sealed[3*crc32c.Block:]) {
		t.Fatal("the spool's first blocks were not freed, or more was")
	}
	for _, c := range []struct {
		released int64
		crc      uint32
		want     bool
	}{
		{3 * crc32c.Block, gotCRC, true},
		{3 * crc32c.Block, gotCRC ^ 1, false}, // a damaged record
		{0, 0, false},                         // the freed part read as zeros
		{2 * crc32c.Block, crcOf(sealed[:2*crc32c.Block]), false},
		{-1, 0, false},
		{size + 1, 0, false},
	} {
		if got := spoolIntact(name, size, sum, c.released, c.crc); got != c.want {
			t.Errorf("spoolIntact from %d (%08x) = %v, want %v", c.released, c.crc, got, c.want)
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

	// A spool that cannot be written (here, a file open read-only): sealing
	// stops with the write error, and a reader waiting for bytes gets it.
	name3 := filepath.Join(t.TempDir(), sealedFile)
	sp3, err := createSpool(name3, size)
	if err != nil {
		t.Fatal(err)
	}
	sp3.f.Close()
	if sp3.f, err = os.Open(name3); err != nil {
		t.Fatal(err)
	}
	defer sp3.Close()
	read := make(chan error, 1)
	go func() {
		_, err := sp3.ReadAt(make([]byte, 10), size-10)
		read <- err
	}()
	if _, err := sp3.seal(context.Background(), recipients, contents); err == nil || !strings.Contains(err.Error(), "bad file descriptor") {
		t.Fatalf("sealing into an unwritable spool: %v", err)
	}
	if err := <-read; err == nil || !strings.Contains(err.Error(), "sealing stopped") {
		t.Fatalf("a reader of an unwritable spool: %v", err)
	}
}
