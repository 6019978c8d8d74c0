package client

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// TestChunkSum checks that the checksum hashed ahead is the SHA-256 of
// exactly the chunk asked for, whether the chunk kept its size, grew,
// shrank, moved (after a failure) or nothing was hashed ahead.
func TestChunkSum(t *testing.T) {
	data := make([]byte, 1<<20)
	rand.Read(data)
	name := filepath.Join(t.TempDir(), "bundle.age")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const off, chunk = 1000, 256 << 10
	tests := []struct {
		desc      string
		ahead     bool
		offset, n int64
	}{
		{"same size", true, off, chunk},
		{"halved", true, off, chunk / 2},
		{"grew", true, off, 2 * chunk},
		{"grew to the end", true, off, int64(len(data)) - off},
		{"another length", true, off, chunk - 1},
		{"moved after a failure", true, off + 10, chunk},
		{"nothing ahead", false, off, chunk},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var s *chunkSum
			if tc.ahead {
				s = startSum(f, off, chunk, chunk/2)
			}
			got, err := s.take(f, tc.offset, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			want := binary.BigEndian.AppendUint32(nil, crc32.Checksum(data[tc.offset:tc.offset+tc.n], crc32.MakeTable(crc32.Castagnoli)))
			if !bytes.Equal(got, want) {
				t.Fatalf("checksum of [%d, %d) is wrong", tc.offset, tc.offset+tc.n)
			}
		})
	}
}
