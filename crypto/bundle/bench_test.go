package bundle

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
)

const benchSize = 64 << 20

func benchFile(b *testing.B) string {
	p := filepath.Join(b.TempDir(), "input.bin")
	data := make([]byte, benchSize)
	rand.Read(data)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkSeal(b *testing.B) {
	id := newIdentity(b)
	files, err := CollectFiles([]string{benchFile(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Seal(io.Discard, []age.Recipient{id.Recipient()}, baseContents(files...)); err != nil {
			b.Fatal(err)
		}
	}
}

// sealedBench seals the benchmark file in memory for the opening benchmarks.
func sealedBench(b *testing.B) (*age.HybridIdentity, *bytes.Buffer) {
	b.Helper()
	id := newIdentity(b)
	files, err := CollectFiles([]string{benchFile(b)})
	if err != nil {
		b.Fatal(err)
	}
	var sealed bytes.Buffer
	if _, err := Seal(&sealed, []age.Recipient{id.Recipient()}, baseContents(files...)); err != nil {
		b.Fatal(err)
	}
	return id, &sealed
}

func BenchmarkOpen(b *testing.B) {
	id, sealed := sealedBench(b)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		outDir := b.TempDir()
		b.StartTimer()
		if _, err := Open(bytes.NewReader(sealed.Bytes()), []age.Identity{id}, outDir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStockAgeDecrypt is the baseline for BenchmarkOpen: age.Decrypt of
// the same bundle into io.Discard.
func BenchmarkStockAgeDecrypt(b *testing.B) {
	id, sealed := sealedBench(b)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		r, err := age.Decrypt(bytes.NewReader(sealed.Bytes()), id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
