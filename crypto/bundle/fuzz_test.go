package bundle

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
)

// openSeeds are plaintext tar streams: a real bundle's plaintext and a few
// hostile ones.
func openSeeds(t testing.TB) [][]byte {
	id := newIdentity(t)
	c := baseContents(bytesFile("a/b.txt", []byte("hello")), bytesFile("c.bin", nil))
	c.Note = []byte("note")
	// Drop the padding: small seeds keep minimisation fast.
	good := bytes.TrimRight(decrypt(t, seal(t, id, c), id), "\x00")
	good = append(good, make([]byte, 1024+(512-len(good)%512)%512)...)
	g := []byte("x")
	return [][]byte{
		good,
		good[:len(good)/2],
		nil,
		[]byte("not a tar"),
		buildTar(t, []tarEntry{reg("files/x", g), reg("manifest.json", manifestJSON(t, entryOf("files/x", g)))}, make([]byte, 512)),
		buildTar(t, []tarEntry{reg("../x", g), reg("manifest.json", manifestJSON(t))}, nil),
		buildTar(t, []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "files/l", Linkname: "/etc"}}, reg("manifest.json", manifestJSON(t))}, nil),
		buildTar(t, []tarEntry{reg("files/A", g), reg("files/a", g), reg("manifest.json", manifestJSON(t))}, nil),
		buildTar(t, []tarEntry{reg("manifest.json", manifestJSON(t))}, []byte{1}),
	}
}

// FuzzOpen encrypts fuzzed plaintext to a fixed test identity and opens it:
// Open must not panic, a failure must leave the workspace as it was, and a
// success must put only regular files and folders under OUTDIR/<id>.
func FuzzOpen(f *testing.F) {
	seeds := openSeeds(f)
	if len(seeds) == 0 {
		f.Fatal("FuzzOpen has no seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	id := newIdentity(f)
	f.Fuzz(func(t *testing.T, plaintext []byte) {
		base, outDir := workspace(t)
		before := snapshot(t, base)
		res, err := Open(bytes.NewReader(encrypt(t, plaintext, id.Recipient())), []age.Identity{id}, outDir, Options{MaxEntries: 100, MaxTotalBytes: 1 << 20})
		after := snapshot(t, base)
		if err != nil {
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("failed Open (%v) changed the workspace", err)
			}
			return
		}
		prefix := filepath.Join("out", res.SubmissionID)
		for _, line := range after {
			name, kind, _ := strings.Cut(line, " ")
			if slices.Contains(before, line) {
				continue
			}
			if name != prefix && !strings.HasPrefix(name, prefix+string(os.PathSeparator)) {
				t.Fatalf("Open created %q outside OUTDIR/<id>", name)
			}
			if !strings.HasPrefix(kind, "-") && !strings.HasPrefix(kind, "d") {
				t.Fatalf("Open created a special file: %q", line)
			}
		}
	})
}

// FuzzParseManifest checks that ParseManifest never panics and that what it
// accepts survives a round trip.
func FuzzParseManifest(f *testing.F) {
	seeds := [][]byte{
		manifestJSON(f),
		manifestJSON(f, entryOf("files/a.txt", []byte("a")), entryOf("note.txt", nil)),
		[]byte(`{"format":"refuge-bundle-v1","kind":"referral","created":"2026-11-30","submission_id":"0123456789abcdef0123456789abcdef","reply_recipient":"","partner":"fld","entries":[]}`),
		[]byte(`{"format":"refuge-bundle-v1","kind":"anonymous","created":"2026-02-30","submission_id":"0123456789abcdef0123456789abcdef","reply_recipient":"","partner":"","entries":[{"name":"files/../x","size":1,"sha256":""}]}`),
		[]byte(`{}`),
		[]byte(`{"format":"refuge-bundle-v1"} {}`),
		[]byte(`[`),
		nil,
	}
	if len(seeds) == 0 {
		f.Fatal("FuzzParseManifest has no seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseManifest(b)
		if err != nil {
			t.Fatalf("re-encoded manifest refused: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the manifest: %+v != %+v", m, m2)
		}
		for _, e := range m.Entries {
			if checkEntryName(e.Name) != nil {
				t.Fatalf("accepted a bad entry name")
			}
		}
	})
}
