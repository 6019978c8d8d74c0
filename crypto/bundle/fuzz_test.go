package bundle

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
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
		// PAX records that rename an entry or declare a size that wraps a
		// 64-bit sum, a GNU long name, a global header, names that are
		// one on HFS+ or a device on Windows, a name nested too deep.
		paxTar(t, paxRecord("path", "../x"), reg("files/x", g), reg("manifest.json", manifestJSON(t, entryOf("files/x", g)))),
		append(buildTar(t, []tarEntry{reg("files/a", g)}, nil)[:1024], paxTar(t, paxRecord("size", "9223372036854775807"), reg("files/b", g))...),
		buildTar(t, []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "files/" + strings.Repeat("a/", 60) + "x", Size: 1, Format: tar.FormatGNU}, data: g}, reg("manifest.json", manifestJSON(t))}, nil),
		buildTar(t, []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"path": "x"}}}, reg("manifest.json", manifestJSON(t))}, nil),
		buildTar(t, []tarEntry{reg("files/ab", g), reg("files/a\u200cb", g), reg("manifest.json", manifestJSON(t))}, nil),
		buildTar(t, []tarEntry{reg("files/COM\u00b9", g), reg("manifest.json", manifestJSON(t, entryOf("files/COM\u00b9", g)))}, nil),
		buildTar(t, []tarEntry{reg("files/"+strings.Repeat("d/", maxDepth+1)+"x", g), reg("manifest.json", manifestJSON(t))}, nil),
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
		[]byte(`{"format":"refuge-bundle-v1","kind":"reply","created":"2026-11-30","submission_id":"0123456789abcdef0123456789abcdef","reply_recipient":"","partner":"","entries":[]}`),
		[]byte(`{"format":"refuge-bundle-v1","kind":"anonymous","\u006bind":"referral","created":"2026-11-30","submission_id":"0123456789abcdef0123456789abcdef","reply_recipient":"","partner":"","entries":[{"name":"files/a\ud800","\u017fize":99999999999999999999,"sha256":""}]}`),
		[]byte(`{"entries":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]}`),
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

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// FuzzHeaderStanzaTypes feeds arbitrary bytes to the header check the
// server runs on every finished upload, with no key: it must not panic,
// read no more than maxHeaderSize, and when it accepts a header, report
// one type per stanza line of that header, in order, each the stanza's
// first word. CheckStanzaTypes must accept exactly lists of post-quantum
// stanzas.
func FuzzHeaderStanzaTypes(f *testing.F) {
	id := newIdentity(f)
	x, _ := age.GenerateX25519Identity()
	// Cut after the header and a little of the payload: small seeds keep
	// minimisation fast.
	head := func(file []byte) []byte {
		hdr, err := age.ExtractHeader(bytes.NewReader(file))
		if err != nil {
			f.Fatal(err)
		}
		return file[:len(hdr)+16]
	}
	for _, s := range [][]byte{
		head(seal(f, id, baseContents())),
		head(encrypt(f, []byte("x"), id.Recipient(), newIdentity(f).Recipient())),
		head(encrypt(f, []byte("x"), x.Recipient())),
		head(encrypt(f, []byte("x"), scryptRecipient(f))),
		[]byte("age-encryption.org/v1\n-> X25519 a\nAAAA\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
		[]byte("age-encryption.org/v1\n-> \x1b[2J\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
		[]byte("age-encryption.org/v1\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
		[]byte("age-encryption.org/v1\n-> mlkem768x25519\n"),
		[]byte("-----BEGIN AGE ENCRYPTED FILE-----\n"),
		[]byte("PK\x03\x04"),
		nil,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &countingReader{r: bytes.NewReader(data)}
		types, err := HeaderStanzaTypes(r)
		if r.n > maxHeaderSize {
			t.Fatalf("read %d bytes, more than %d", r.n, maxHeaderSize)
		}
		if err != nil {
			if CheckStanzaTypes(types) == nil {
				t.Fatal("a refused header's (empty) type list passes CheckStanzaTypes")
			}
			return
		}
		hdr, err := age.ExtractHeader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("accepted a header that age cannot extract: %v", err)
		}
		var want []string
		for _, l := range strings.Split(string(hdr), "\n") {
			if rest, ok := strings.CutPrefix(l, "-> "); ok {
				typ, _, _ := strings.Cut(rest, " ")
				want = append(want, typ)
			}
		}
		if !slices.Equal(types, want) {
			t.Fatalf("types %q, but the header's stanza lines say %q", types, want)
		}
		pq := len(types) > 0
		for _, typ := range types {
			pq = pq && typ == StanzaType
		}
		if (CheckStanzaTypes(types) == nil) != pq {
			t.Fatalf("CheckStanzaTypes(%q) = %v", types, CheckStanzaTypes(types))
		}
	})
}
