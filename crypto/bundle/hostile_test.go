package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"filippo.io/age"
)

// classicOnly hides a recipient's labels so age lets it mix with others,
// which lets a test build a header with a post-quantum and a classic stanza.
type classicOnly struct{ r age.Recipient }

func (c classicOnly) Wrap(fileKey []byte) ([]*age.Stanza, error) { return c.r.Wrap(fileKey) }

func TestOpenHostile(t *testing.T) {
	id := newIdentity(t)
	r := id.Recipient()
	x, _ := age.GenerateX25519Identity()
	good := []byte("good content")
	goodEntry := entryOf("files/good.txt", good)
	// valid builds a tar with the given file entries and a manifest listing
	// the manifest entries, padded with zeros.
	valid := func(files []tarEntry, listed ...Entry) []byte {
		all := append(files, reg("manifest.json", manifestJSON(t, listed...)))
		return buildTar(t, all, make([]byte, 4096))
	}
	// goodWith is a bundle holding good.txt whose manifest ends with extra.
	goodWith := func(extra string) []byte {
		m := manifestJSON(t, goodEntry)
		return buildTar(t, []tarEntry{reg("files/good.txt", good), reg("manifest.json", append(m[:len(m)-1], extra+"}"...))}, nil)
	}
	if _, err := Open(bytes.NewReader(encrypt(t, goodWith(""), r)), []age.Identity{id}, t.TempDir(), Options{}); err != nil {
		t.Fatalf("the bundle the manifest rows start from does not open: %v", err)
	}
	sealed := seal(t, id, baseContents(bytesFile("good.txt", good), bytesFile("big.bin", make([]byte, 200<<10))))
	hdr, err := age.ExtractHeader(bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	payloadStart := len(hdr) + 16
	const chunk = 64<<10 + 16
	flip := func(off int) []byte {
		b := bytes.Clone(sealed)
		b[off] ^= 0x10
		return b
	}
	special := func(typ byte, link string) tarEntry {
		return tarEntry{hdr: tar.Header{Typeflag: typ, Name: "files/evil", Linkname: link, Mode: 0o600}}
	}
	// named is a bundle holding one file of the given name, listed in its
	// manifest: only the name can be refused.
	named := func(name string) []byte {
		return encrypt(t, valid([]tarEntry{reg(name, good)}, entryOf(name, good)), r)
	}
	// withManifest is a bundle holding good.txt whose manifest.json is
	// the manifest that lists it, changed by edit.
	withManifest := func(edit func(string) string) []byte {
		m := edit(string(manifestJSON(t, goodEntry)))
		return encrypt(t, buildTar(t, []tarEntry{reg("files/good.txt", good), reg("manifest.json", []byte(m))}, nil), r)
	}
	// retyped is a bundle whose entry files/evil has the type flag typ,
	// which Go's tar writer would not write.
	retyped := func(typ byte, format tar.Format) []byte {
		e := reg("files/evil", good)
		e.hdr.Format = format
		raw := buildTar(t, []tarEntry{e, reg("manifest.json", manifestJSON(t))}, nil)
		retype(raw[:512], typ)
		return encrypt(t, raw, r)
	}
	// folders is a bundle of n files, each in its own chain of depth
	// folders below files/.
	folders := func(n, depth int) []byte {
		var es []tarEntry
		for i := range n {
			es = append(es, reg(fmt.Sprintf("files/%d/", i)+strings.Repeat("d/", depth-1)+"x", nil))
		}
		return encrypt(t, valid(es), r)
	}
	// hugeSize is a bundle whose second file declares (in a PAX record) a
	// size that wraps a 64-bit sum, but holds 100 KiB and ends.
	hugeSize := func() []byte {
		first := buildTar(t, []tarEntry{reg("files/a", []byte("12345"))}, nil)
		second := paxTar(t, paxRecord("size", fmt.Sprint(int64(math.MaxInt64))), reg("files/evil", bytes.Repeat([]byte("e"), 100<<10)))
		return encrypt(t, append(first[:len(first)-1024], second...), r)
	}
	// regularFolder is a bundle with a regular file entry named
	// "files/evil/", which Go's tar writer would not write.
	regularFolder := func() []byte {
		raw := buildTar(t, []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "files/evil/", Mode: 0o700}}, reg("manifest.json", manifestJSON(t))}, nil)
		retype(raw[:512], tar.TypeReg)
		return encrypt(t, raw, r)
	}
	replyManifest, err := json.Marshal(Manifest{Format: ManifestFormat, Kind: KindReply, Created: "2026-11-30", SubmissionID: testID, Entries: []Entry{goodEntry}})
	if err != nil {
		t.Fatal(err)
	}
	submissions := Options{Kinds: []string{KindAnonymous, KindReferral}}
	// Each stanza costs a decapsulation per identity: age reads at most
	// 1024 (and 2 MiB of header).
	manyStanzas := func() []byte {
		rs := []age.Recipient{r}
		for range 1024 {
			rs = append(rs, newIdentity(t).Recipient())
		}
		return encrypt(t, valid(nil), rs...)
	}
	lastChunk := payloadStart + (len(sealed)-payloadStart-1)/chunk*chunk
	tests := []struct {
		desc    string
		bundle  []byte
		opts    Options
		want    error
		or      error // another acceptable error
		prepare func(outDir string)
	}{
		{desc: "empty input", bundle: nil, want: ErrDamaged},
		{desc: "truncated inside header", bundle: sealed[:100], want: ErrDamaged},
		{desc: "truncated after header", bundle: sealed[:len(hdr)], want: ErrDamaged},
		{desc: "truncated at first chunk boundary", bundle: sealed[:payloadStart+chunk], want: ErrDamaged},
		{desc: "truncated at second chunk boundary", bundle: sealed[:payloadStart+2*chunk], want: ErrDamaged},
		{desc: "truncated inside a chunk", bundle: sealed[:payloadStart+chunk+1000], want: ErrDamaged},
		{desc: "last byte missing", bundle: sealed[:len(sealed)-1], want: ErrDamaged},
		{desc: "trailing garbage", bundle: append(bytes.Clone(sealed), 0), want: ErrDamaged},
		// A damaged stanza either no longer parses or no longer unwraps (age
		// cannot tell that from another key).
		{desc: "bit flip in header", bundle: flip(len(hdr) / 2), want: ErrWrongKey, or: ErrDamaged},
		{desc: "bit flip in header MAC", bundle: flip(len(hdr) - 5), want: ErrDamaged},
		{desc: "bit flip in nonce", bundle: flip(len(hdr) + 3), want: ErrDamaged},
		{desc: "bit flip in first chunk", bundle: flip(payloadStart + 100), want: ErrDamaged},
		{desc: "bit flip in body", bundle: flip(payloadStart + chunk + 5000), want: ErrDamaged},
		{desc: "bit flip in last chunk", bundle: flip(len(sealed) - 5), want: ErrDamaged},
		{desc: "x25519 only", bundle: encrypt(t, valid(nil), x.Recipient()), want: ErrNotPostQuantum},
		{desc: "hybrid plus x25519 stanza", bundle: encrypt(t, valid(nil), classicOnly{r}, classicOnly{x.Recipient()}), want: ErrNotPostQuantum},
		{desc: "scrypt", bundle: encrypt(t, valid(nil), scryptRecipient(t)), want: ErrNotPostQuantum},
		{desc: "wrong key", bundle: encrypt(t, valid(nil), newIdentity(t).Recipient()), want: ErrWrongKey},
		{desc: "not a tar", bundle: encrypt(t, bytes.Repeat([]byte("evil"), 1000), r), want: ErrNotBundle},
		{desc: "empty plaintext", bundle: encrypt(t, nil, r), want: ErrNotBundle},
		{desc: "traversal dotdot", bundle: encrypt(t, valid([]tarEntry{reg("../evil", good)}), r), want: ErrUnsafeEntry},
		{desc: "traversal absolute", bundle: encrypt(t, valid([]tarEntry{reg("/tmp/evil", good)}), r), want: ErrUnsafeEntry},
		{desc: "traversal inside files", bundle: encrypt(t, valid([]tarEntry{reg("files/../../evil", good)}), r), want: ErrUnsafeEntry},
		{desc: "traversal deep", bundle: encrypt(t, valid([]tarEntry{reg("files/a/../../../evil", good)}), r), want: ErrUnsafeEntry},
		{desc: "backslash", bundle: encrypt(t, valid([]tarEntry{reg(`files\..\..\evil`, good)}), r), want: ErrUnsafeEntry},
		{desc: "outside files", bundle: encrypt(t, valid([]tarEntry{reg("evil.txt", good)}), r), want: ErrUnsafeEntry},
		{desc: "empty component", bundle: encrypt(t, valid([]tarEntry{reg("files//evil", good)}), r), want: ErrUnsafeEntry},
		{desc: "dot component", bundle: encrypt(t, valid([]tarEntry{reg("files/./evil", good)}), r), want: ErrUnsafeEntry},
		{desc: "overlong name", bundle: encrypt(t, valid([]tarEntry{reg("files/"+strings.Repeat("evil/", 210)+"x", good)}), r), want: ErrUnsafeEntry},
		{desc: "overlong component", bundle: encrypt(t, valid([]tarEntry{reg("files/"+strings.Repeat("evil", 70), good)}), r), want: ErrUnsafeEntry},
		{desc: "windows device name", bundle: encrypt(t, valid([]tarEntry{reg("files/evil/CON.txt", good)}), r), want: ErrUnsafeEntry},
		{desc: "invalid UTF-8", bundle: encrypt(t, valid([]tarEntry{reg("files/evil\xff", good)}), r), want: ErrUnsafeEntry},
		{desc: "bidi override", bundle: encrypt(t, valid([]tarEntry{reg("files/evil\u202etxt.exe", good)}), r), want: ErrUnsafeEntry},
		{desc: "control character", bundle: encrypt(t, valid([]tarEntry{reg("files/evil\x1b[2J", good)}), r), want: ErrUnsafeEntry},
		{desc: "symlink", bundle: encrypt(t, valid([]tarEntry{special(tar.TypeSymlink, "/etc/passwd")}), r), want: ErrUnsafeEntry},
		{desc: "hardlink", bundle: encrypt(t, valid([]tarEntry{special(tar.TypeLink, "/etc/passwd")}), r), want: ErrUnsafeEntry},
		{desc: "char device", bundle: encrypt(t, valid([]tarEntry{special(tar.TypeChar, "")}), r), want: ErrUnsafeEntry},
		{desc: "block device", bundle: encrypt(t, valid([]tarEntry{special(tar.TypeBlock, "")}), r), want: ErrUnsafeEntry},
		{desc: "fifo", bundle: encrypt(t, valid([]tarEntry{special(tar.TypeFifo, "")}), r), want: ErrUnsafeEntry},
		{desc: "sparse file (size bomb)", bundle: encrypt(t, sparseTar(t, "files/evil", 50<<20), r), want: ErrUnsafeEntry},
		{desc: "duplicate", bundle: encrypt(t, valid([]tarEntry{reg("files/evil", good), reg("files/evil", good)}), r), want: ErrUnsafeEntry},
		{desc: "case duplicate", bundle: encrypt(t, valid([]tarEntry{reg("files/Evil.txt", good), reg("files/eVIL.TXT", good)}), r), want: ErrUnsafeEntry},
		{desc: "NFC and NFD duplicate", bundle: encrypt(t, valid([]tarEntry{reg("files/caf\u00e9.txt", good), reg("files/cafe\u0301.txt", good)}), r), want: ErrUnsafeEntry},
		{desc: "NFC folder and NFD file", bundle: encrypt(t, valid([]tarEntry{reg("files/r\u00e9sum\u00e9/a", good), reg("files/re\u0301sume\u0301", good)}), r), want: ErrUnsafeEntry},
		{desc: "unicode case duplicate", bundle: encrypt(t, valid([]tarEntry{reg("files/ДОКЛАД", good), reg("files/доклад", good)}), r), want: ErrUnsafeEntry},
		{desc: "file and folder", bundle: encrypt(t, valid([]tarEntry{reg("files/evil", good), reg("files/evil/x", good)}), r), want: ErrUnsafeEntry},
		{desc: "folder and file", bundle: encrypt(t, valid([]tarEntry{reg("files/evil/x", good), reg("files/EVIL", good)}), r), want: ErrUnsafeEntry},
		{desc: "tar entry larger than manifest", bundle: encrypt(t, valid([]tarEntry{reg("files/good.txt", append(good, 'X'))}, goodEntry), r), want: ErrManifestMismatch},
		{desc: "manifest hash lies", bundle: encrypt(t, valid([]tarEntry{reg("files/good.txt", []byte("bad content!"))}, goodEntry), r), want: ErrManifestMismatch},
		{desc: "extra entry", bundle: encrypt(t, valid([]tarEntry{reg("files/good.txt", good), reg("files/evil", good)}, goodEntry), r), want: ErrManifestMismatch},
		{desc: "missing entry", bundle: encrypt(t, valid(nil, goodEntry), r), want: ErrManifestMismatch},
		{desc: "manifest entry renamed", bundle: encrypt(t, valid([]tarEntry{reg("files/evil", good)}, goodEntry), r), want: ErrManifestMismatch},
		{desc: "non-zero padding", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", manifestJSON(t))}, append(make([]byte, 3000), 'e')), r), want: ErrNotBundle},
		{desc: "too many entries", opts: Options{MaxEntries: 3}, bundle: encrypt(t, valid([]tarEntry{reg("files/a", good), reg("files/b", good), reg("files/c", good)}), r), want: ErrLimit},
		{desc: "too many bytes", opts: Options{MaxTotalBytes: 10}, bundle: encrypt(t, valid([]tarEntry{reg("files/good.txt", good)}, goodEntry), r), want: ErrLimit},
		{desc: "manifest missing", bundle: encrypt(t, buildTar(t, []tarEntry{reg("files/good.txt", good)}, nil), r), want: ErrNotBundle},
		{desc: "manifest malformed", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", []byte(`{"format":`))}, nil), r), want: ErrNotBundle},
		{desc: "manifest unknown field", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", []byte(`{"format":"refuge-bundle-v1","evil":1}`))}, nil), r), want: ErrNotBundle},
		// The standard decoder keeps the last of two fields of one name and
		// takes a field whose name differs only in case: a signed manifest
		// could be read one way here and another way by other tools.
		{desc: "manifest field twice", bundle: encrypt(t, goodWith(`,"kind":"anonymous"`), r), want: ErrNotBundle},
		{desc: "manifest entry list twice", bundle: encrypt(t, buildTar(t, []tarEntry{reg("files/good.txt", good),
			reg("manifest.json", []byte(strings.Replace(string(manifestJSON(t, goodEntry)), `"entries":[`, `"entries":[],"entries":[`, 1)))}, nil), r), want: ErrNotBundle},
		{desc: "manifest field in other case", bundle: encrypt(t, goodWith(`,"Partner":""`), r), want: ErrNotBundle},
		{desc: "manifest entry field twice", bundle: encrypt(t, buildTar(t, []tarEntry{reg("files/good.txt", good),
			reg("manifest.json", []byte(strings.Replace(string(manifestJSON(t, goodEntry)), `"size":`, `"name":"files/good.txt","size":`, 1)))}, nil), r), want: ErrNotBundle},
		{desc: "manifest entry field in other case", bundle: encrypt(t, buildTar(t, []tarEntry{reg("files/good.txt", good),
			reg("manifest.json", []byte(strings.Replace(string(manifestJSON(t, goodEntry)), `"size":`, `"SIZE":`, 1)))}, nil), r), want: ErrNotBundle},
		{desc: "manifest duplicated", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", manifestJSON(t)), reg("manifest.json", manifestJSON(t))}, nil), r), want: ErrUnsafeEntry},
		{desc: "entry after manifest", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", manifestJSON(t)), reg("files/evil", good)}, nil), r), want: ErrNotBundle},
		{desc: "signature before manifest", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json.minisig", good), reg("manifest.json", manifestJSON(t))}, nil), r), want: ErrNotBundle},
		// Shapes added by an audit of what the rows above missed.
		{desc: "truncated inside the nonce", bundle: sealed[:len(hdr)+8], want: ErrDamaged},
		{desc: "truncated after the nonce", bundle: sealed[:payloadStart], want: ErrDamaged},
		{desc: "truncated at last chunk boundary", bundle: sealed[:lastChunk], want: ErrDamaged},
		{desc: "truncated one byte into last chunk", bundle: sealed[:lastChunk+1], want: ErrDamaged},
		{desc: "1025 stanzas", bundle: manyStanzas(), want: ErrDamaged},
		{desc: "windows drive letter", bundle: named("files/C:/evil"), want: ErrUnsafeEntry},
		{desc: "alternate data stream", bundle: named("files/good.txt:evil"), want: ErrUnsafeEntry},
		{desc: "windows device lower case", bundle: named("files/aux.evil"), want: ErrUnsafeEntry},
		{desc: "windows device superscript digit", bundle: named("files/COM\u00b9"), want: ErrUnsafeEntry},
		{desc: "windows device superscript with extension", bundle: named("files/evil/lpt\u00b3.txt"), want: ErrUnsafeEntry},
		{desc: "trailing dot", bundle: named("files/evil."), want: ErrUnsafeEntry},
		{desc: "trailing space", bundle: named("files/evil/ /x"), want: ErrUnsafeEntry},
		{desc: "bidi isolate", bundle: named("files/evil\u2067txt.exe"), want: ErrUnsafeEntry},
		{desc: "newline in name", bundle: named("files/evil\n  12 B  fake.pdf"), want: ErrUnsafeEntry},
		{desc: "C1 control (8-bit CSI)", bundle: named("files/evil\u009b2J"), want: ErrUnsafeEntry},
		{desc: "replacement character", bundle: named("files/evil\ufffd"), want: ErrUnsafeEntry},
		{desc: "HFS+ ignorable duplicate", bundle: encrypt(t, valid([]tarEntry{reg("files/evil.txt", good), reg("files/ev\u200cil.txt", good)}), r), want: ErrUnsafeEntry},
		{desc: "HFS+ ignorable folder and file", bundle: encrypt(t, valid([]tarEntry{reg("files/evil\ufeff/x", good), reg("files/evil", good)}), r), want: ErrUnsafeEntry},
		{desc: "nested too deep", bundle: named("files/" + strings.Repeat("evil/", maxDepth+1) + "x"), want: ErrUnsafeEntry},
		{desc: "too many folders", bundle: folders(170, 60), want: ErrLimit},
		{desc: "regular entry named as a folder", bundle: regularFolder(), want: ErrUnsafeEntry},
		{desc: "GNU long name traversal", bundle: encrypt(t, valid([]tarEntry{{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "files/" + strings.Repeat("a/", 60) + strings.Repeat("../", 62) + "evil", Size: 1, Format: tar.FormatGNU}, data: []byte("x")}}), r), want: ErrUnsafeEntry},
		{desc: "PAX path traversal", bundle: encrypt(t, paxTar(t, paxRecord("path", "../../evil"), reg("files/good.txt", good), reg("manifest.json", manifestJSON(t, goodEntry))), r), want: ErrUnsafeEntry},
		{desc: "PAX path outside files", bundle: encrypt(t, paxTar(t, paxRecord("path", "/tmp/evil"), reg("files/good.txt", good), reg("manifest.json", manifestJSON(t, goodEntry))), r), want: ErrUnsafeEntry},
		{desc: "PAX path renames a file to the manifest", bundle: encrypt(t, paxTar(t, paxRecord("path", "manifest.json"), reg("files/good.txt", good), reg("manifest.json", manifestJSON(t, goodEntry))), r), want: ErrUnsafeEntry, or: ErrNotBundle},
		{desc: "PAX size beyond the data", bundle: encrypt(t, paxTar(t, paxRecord("size", "999999"), reg("files/good.txt", good), reg("manifest.json", manifestJSON(t, goodEntry))), r), want: ErrNotBundle},
		{desc: "PAX size wraps the total", opts: Options{MaxTotalBytes: 10}, bundle: hugeSize(), want: ErrLimit},
		{desc: "PAX size wraps the default total", bundle: hugeSize(), want: ErrLimit},
		{desc: "PAX 1.0 sparse file", bundle: encrypt(t, paxTar(t, paxRecord("GNU.sparse.major", "1")+paxRecord("GNU.sparse.minor", "0")+paxRecord("GNU.sparse.realsize", "52428800"), reg("files/evil", good), reg("manifest.json", manifestJSON(t))), r), want: ErrUnsafeEntry, or: ErrNotBundle},
		{desc: "old GNU sparse file", bundle: retyped(tar.TypeGNUSparse, tar.FormatGNU), want: ErrUnsafeEntry, or: ErrNotBundle},
		{desc: "contiguous file", bundle: retyped(tar.TypeCont, tar.FormatUSTAR), want: ErrUnsafeEntry},
		{desc: "GNU volume header", bundle: retyped('V', tar.FormatGNU), want: ErrUnsafeEntry, or: ErrNotBundle},
		{desc: "global PAX header", bundle: encrypt(t, valid([]tarEntry{{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "evil", PAXRecords: map[string]string{"path": "../evil"}}}}), r), want: ErrUnsafeEntry},
		{desc: "symlink named manifest.json", bundle: encrypt(t, buildTar(t, []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "manifest.json", Linkname: "/etc/passwd"}}}, nil), r), want: ErrUnsafeEntry},
		{desc: "folder entry traversal", bundle: encrypt(t, valid([]tarEntry{{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "files/../../evil/", Mode: 0o777}}}), r), want: ErrUnsafeEntry},
		{desc: "folder entry after manifest", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", manifestJSON(t)), {hdr: tar.Header{Typeflag: tar.TypeDir, Name: "files/evil/", Mode: 0o700}}}, nil), r), want: ErrUnsafeEntry},
		{desc: "note after manifest", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", manifestJSON(t)), reg("note.txt", good)}, nil), r), want: ErrNotBundle},
		{desc: "note twice", bundle: encrypt(t, valid([]tarEntry{reg("note.txt", good), reg("note.txt", good)}), r), want: ErrUnsafeEntry},
		{desc: "signature twice", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", manifestJSON(t)), reg("manifest.json.minisig", good), reg("manifest.json.minisig", good)}, nil), r), want: ErrNotBundle},
		{desc: "signature too large", bundle: encrypt(t, buildTar(t, []tarEntry{reg("manifest.json", manifestJSON(t)), reg("manifest.json.minisig", make([]byte, MaxSignatureSize+1))}, nil), r), want: ErrNotBundle},
		{desc: "second tar stream after the end marker", bundle: encrypt(t, append(valid(nil), buildTar(t, []tarEntry{reg("files/evil", good)}, nil)...), r), want: ErrNotBundle},
		{desc: "manifest lists itself", bundle: withManifest(func(m string) string {
			return strings.Replace(m, `"name":"files/good.txt"`, `"name":"manifest.json"`, 1)
		}), want: ErrNotBundle},
		{desc: "manifest size beyond int64", bundle: withManifest(func(m string) string {
			return strings.Replace(m, `"size":12`, `"size":99999999999999999999`, 1)
		}), want: ErrNotBundle},
		{desc: "manifest size negative", bundle: withManifest(func(m string) string { return strings.Replace(m, `"size":12`, `"size":-12`, 1) }), want: ErrNotBundle},
		{desc: "manifest size fractional", bundle: withManifest(func(m string) string { return strings.Replace(m, `"size":12`, `"size":12.0`, 1) }), want: ErrNotBundle},
		{desc: "manifest hash in upper case", bundle: withManifest(strings.ToUpper), want: ErrNotBundle},
		{desc: "manifest field name escaped, twice", bundle: withManifest(func(m string) string {
			return strings.Replace(m, `"kind":"anonymous"`, `"kind":"anonymous","\u006bind":"referral"`, 1)
		}), want: ErrNotBundle},
		{desc: "manifest field name with long s", bundle: withManifest(func(m string) string { return strings.Replace(m, `"size":`, `"\u017fize":`, 1) }), want: ErrNotBundle},
		{desc: "manifest name with lone surrogate", bundle: withManifest(func(m string) string {
			return strings.Replace(m, `"name":"files/good.txt"`, `"name":"files/good.txt\ud800"`, 1)
		}), want: ErrNotBundle},
		{desc: "manifest name escaped traversal", bundle: withManifest(func(m string) string {
			return strings.Replace(m, `"name":"files/good.txt"`, `"name":"files/\u002e\u002e/evil"`, 1)
		}), want: ErrNotBundle},
		{desc: "manifest nested 100000 deep", bundle: withManifest(func(m string) string {
			return strings.Replace(m, `"entries":[`, `"entries":[`+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+",", 1)
		}), want: ErrNotBundle},
		{desc: "manifest followed by a second object", bundle: withManifest(func(m string) string { return m + `{"kind":"referral"}` }), want: ErrNotBundle},
		{desc: "manifest of an unknown kind", bundle: withManifest(func(m string) string { return strings.Replace(m, `"anonymous"`, `"evil"`, 1) }), want: ErrNotBundle},
		{desc: "reply where a submission is expected", opts: submissions,
			bundle: encrypt(t, buildTar(t, []tarEntry{reg("files/good.txt", good), reg("manifest.json", replyManifest)}, nil), r), want: ErrUnexpectedKind},
		{desc: "already opened", bundle: sealed, want: ErrAlreadyOpened, prepare: func(outDir string) {
			os.Mkdir(filepath.Join(outDir, testID), 0o700)
		}},
		{desc: "id taken by a file", bundle: sealed, want: ErrAlreadyOpened, prepare: func(outDir string) {
			os.WriteFile(filepath.Join(outDir, testID), []byte("x"), 0o600)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			base, outDir := workspace(t)
			if tc.prepare != nil {
				tc.prepare(outDir)
			}
			before := snapshot(t, base)
			res, err := Open(bytes.NewReader(tc.bundle), []age.Identity{id, x}, outDir, tc.opts)
			if err == nil {
				t.Fatalf("Open succeeded: %+v", res)
			}
			if !errors.Is(err, tc.want) && (tc.or == nil || !errors.Is(err, tc.or)) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
			if strings.Contains(strings.ToLower(err.Error()), "evil") || strings.Contains(err.Error(), "ДОКЛАД") {
				t.Errorf("error repeats a name from the bundle: %q", err)
			}
			if strings.Count(err.Error(), "tamper") > 1 {
				t.Errorf("error says the same thing twice: %q", err)
			}
			if len(err.Error()) > 200 {
				t.Errorf("error is %d bytes long: %q", len(err.Error()), err)
			}
			if after := snapshot(t, base); !reflect.DeepEqual(before, after) {
				t.Errorf("Open changed the file system:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

func scryptRecipient(t testing.TB) age.Recipient {
	s, err := age.NewScryptRecipient("test passphrase, not a secret")
	if err != nil {
		t.Fatal(err)
	}
	s.SetWorkFactor(10)
	return s
}

func TestOpenSucceedsAfterFailedAttempt(t *testing.T) {
	// A damaged copy is refused, then the good copy opens: nothing from the
	// failed attempt gets in the way.
	id := newIdentity(t)
	data := seal(t, id, baseContents(bytesFile("a.txt", []byte("a"))))
	_, outDir := workspace(t)
	if _, err := open(data[:len(data)-20], id, outDir); !errors.Is(err, ErrDamaged) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := open(data, id, outDir); err != nil {
		t.Fatalf("good copy: %v", err)
	}
	if err := os.Mkdir(filepath.Join(outDir, stagingPrefix+"crashed"), 0o700); err != nil {
		t.Fatal(err)
	}
	if left, err := StagingLeftovers(outDir); err != nil || len(left) != 1 {
		t.Errorf("StagingLeftovers = %q, %v", left, err)
	}
	_, err := open(data, id, outDir)
	var ao *AlreadyOpenedError
	if !errors.Is(err, ErrAlreadyOpened) || !errors.As(err, &ao) {
		t.Fatalf("replay: %v", err)
	}
	if ao.SubmissionID != testID || ao.CiphertextSHA256 != sha256.Sum256(data) {
		t.Errorf("replay: %+v, want id %s and the SHA-256 of the bundle", ao, testID)
	}
}

// TestOpenReadError checks that a bundle that cannot be read (a failing
// disk or USB stick) is not reported as damaged or tampered with: the
// error wraps the read error.
func TestOpenReadError(t *testing.T) {
	id := newIdentity(t)
	data := seal(t, id, baseContents(bytesFile("a.txt", bytes.Repeat([]byte("a"), 200<<10))))
	eio := errors.New("input/output error")
	for _, at := range []int{10, len(data) / 2, len(data) - 10} {
		_, outDir := workspace(t)
		src := io.MultiReader(bytes.NewReader(data[:at]), iotest.ErrReader(eio))
		_, err := Open(src, []age.Identity{id}, outDir, Options{})
		if !errors.Is(err, eio) || errors.Is(err, ErrDamaged) {
			t.Errorf("read error after %d of %d bytes: %v", at, len(data), err)
		}
	}
}

func TestOpenDirectoryEntriesIgnored(t *testing.T) {
	id := newIdentity(t)
	good := []byte("x")
	plain := buildTar(t, []tarEntry{
		{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "files/emptydir/", Mode: 0o700}},
		reg("files/a/x", good),
		reg("manifest.json", manifestJSON(t, entryOf("files/a/x", good))),
	}, make([]byte, 1024))
	_, outDir := workspace(t)
	res, err := open(encrypt(t, plain, id.Recipient()), id, outDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.Dir, "files", "emptydir")); !os.IsNotExist(err) {
		t.Errorf("empty folder entry was created: %v", err)
	}
}

// TestOpenIgnoresHeaderModes checks that what a header says of modes,
// owners and times is not applied: a setuid, world-writable file owned by
// root in a world-writable folder is extracted as the officer's own file,
// mode 0600, in a folder of mode 0700.
func TestOpenIgnoresHeaderModes(t *testing.T) {
	id := newIdentity(t)
	data := []byte("#!/bin/sh\n")
	e := reg("files/d/run.sh", data)
	e.hdr.Mode = 0o7777
	e.hdr.Uid, e.hdr.Gid, e.hdr.Uname, e.hdr.Gname = 0, 0, "root", "root"
	e.hdr.ModTime = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	plain := buildTar(t, []tarEntry{
		{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "files/d/", Mode: 0o7777}},
		e,
		reg("manifest.json", manifestJSON(t, entryOf("files/d/run.sh", data))),
	}, nil)
	_, outDir := workspace(t)
	res, err := open(encrypt(t, plain, id.Recipient()), id, outDir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"files/d/run.sh": 0o600, "files/d": os.ModeDir | 0o700} {
		fi, err := os.Lstat(filepath.Join(res.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode(), want)
		}
		if fi.ModTime().Year() == 2099 {
			t.Errorf("%s has the header's modification time", name)
		}
	}
}
