package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"filippo.io/age"
)

const testID = "0123456789abcdef0123456789abcdef"

var testDay = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func newIdentity(t testing.TB) *age.HybridIdentity {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func bytesFile(name string, data []byte) File {
	return File{Name: name, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

func baseContents(files ...File) Contents {
	return Contents{Files: files, SubmissionID: testID, Kind: KindAnonymous, Created: testDay}
}

func seal(t testing.TB, id *age.HybridIdentity, c Contents) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Seal(&buf, []age.Recipient{id.Recipient()}, c); err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return buf.Bytes()
}

func open(data []byte, id age.Identity, outDir string) (*Result, error) {
	return Open(bytes.NewReader(data), []age.Identity{id}, outDir, Options{})
}

// snapshot lists every path under dir with its type and content hash, to
// assert that a failed Open changed nothing.
func snapshot(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		line := rel + " " + d.Type().String()
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := sha256.Sum256(b)
			line += " " + hex.EncodeToString(s[:])
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// workspace returns base (a temporary directory holding a sentinel file and
// outDir) and outDir.
func workspace(t testing.TB) (base, outDir string) {
	base = t.TempDir()
	outDir = filepath.Join(base, "out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "sentinel"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "earlier"), []byte("inside"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A submission opened before, which no later open may change.
	opened := filepath.Join(outDir, "fedcba9876543210fedcba9876543210", "files")
	if err := os.MkdirAll(opened, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(opened, "evidence.txt"), []byte("opened before"), 0o600); err != nil {
		t.Fatal(err)
	}
	return base, outDir
}

// tarEntry is one entry of a hand-built (possibly hostile) tar stream.
type tarEntry struct {
	hdr  tar.Header
	data []byte
}

func reg(name string, data []byte) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o600}, data: data}
}

func entryOf(name string, data []byte) Entry {
	s := sha256.Sum256(data)
	return Entry{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(s[:])}
}

func manifestJSON(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	m := Manifest{Format: ManifestFormat, Kind: KindAnonymous, Created: "2026-11-30", SubmissionID: testID, Entries: entries}
	if m.Entries == nil {
		m.Entries = []Entry{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildTar writes entries and the end marker, then pads with padding.
func buildTar(t testing.TB, entries []tarEntry, padding []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	buf.Write(padding)
	return buf.Bytes()
}

func encrypt(t testing.TB, plaintext []byte, r ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plaintext); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decrypt(t testing.TB, data []byte, id age.Identity) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// sparseTar returns a tar stream whose only file entry is a PAX (0.1) GNU
// sparse file: one stored byte that archive/tar expands to realSize bytes.
// Go's tar writer drops GNU.sparse records, so the PAX header is patched in.
func sparseTar(t testing.TB, name string, realSize int64) []byte {
	t.Helper()
	recs := paxRecord("GNU.sparse.size", fmt.Sprint(realSize)) + paxRecord("GNU.sparse.numblocks", "1") +
		paxRecord("GNU.sparse.map", fmt.Sprintf("%d,1", realSize-1))
	return paxTar(t, recs, reg(name, []byte("x")), reg("manifest.json", manifestJSON(t)))
}

// paxRecord is one record of a PAX extended header, length prefix included.
func paxRecord(k, v string) string {
	s := " " + k + "=" + v + "\n"
	n := len(s) + 1
	for len(fmt.Sprint(n))+len(s) != n {
		n++
	}
	return fmt.Sprint(n) + s
}

// paxTar returns a USTAR stream whose first header is a PAX extended header
// holding records (applying to entries[0]), then entries and the end
// marker. Go's tar writer derives PAX records from the Header and refuses
// to write most by hand, so the records go in as a file that is then
// retyped.
func paxTar(t testing.TB, records string, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	all := append([]tarEntry{{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "pax", Size: int64(len(records))}, data: []byte(records)}}, entries...)
	for _, e := range all {
		h := e.hdr
		h.Format = tar.FormatUSTAR
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	retype(raw[:512], tar.TypeXHeader)
	return raw
}

// retype sets the type flag of the 512-byte tar header block and mends its
// checksum.
func retype(block []byte, typ byte) {
	block[156] = typ
	copy(block[148:156], "        ")
	sum := 0
	for _, c := range block[:512] {
		sum += int(c)
	}
	copy(block[148:156], fmt.Sprintf("%06o\x00 ", sum))
}
