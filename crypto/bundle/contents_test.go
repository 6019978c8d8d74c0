package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestSealRefusesBadContents(t *testing.T) {
	id := newIdentity(t)
	f := bytesFile("a.txt", []byte("a"))
	tests := []struct {
		desc   string
		change func(c *Contents)
	}{
		{desc: "bad submission id", change: func(c *Contents) { c.SubmissionID = "ABC" }},
		{desc: "unknown kind", change: func(c *Contents) { c.Kind = "other" }},
		{desc: "anonymous with partner", change: func(c *Contents) { c.Partner = "fld" }},
		{desc: "referral without partner", change: func(c *Contents) { c.Kind = KindReferral }},
		{desc: "classic reply recipient", change: func(c *Contents) {
			x, _ := age.GenerateX25519Identity()
			c.ReplyRecipient = x.Recipient().String()
		}},
		{desc: "traversal name", change: func(c *Contents) { c.Files = []File{bytesFile("../x", nil)} }},
		{desc: "absolute name", change: func(c *Contents) { c.Files = []File{bytesFile("/etc/x", nil)} }},
		{desc: "name with prefix", change: func(c *Contents) { c.Files = []File{bytesFile("a//b", nil)} }},
		{desc: "case duplicate", change: func(c *Contents) { c.Files = []File{f, bytesFile("A.TXT", nil)} }},
		{desc: "NFC and NFD duplicate", change: func(c *Contents) {
			c.Files = []File{bytesFile("caf\u00e9", nil), bytesFile("cafe\u0301", nil)}
		}},
		{desc: "HFS+ ignorable duplicate", change: func(c *Contents) {
			c.Files = []File{bytesFile("ab", nil), bytesFile("a\u200db", nil)}
		}},
		{desc: "nested too deep", change: func(c *Contents) { c.Files = []File{bytesFile(strings.Repeat("a/", maxDepth+1)+"b", nil)} }},
		{desc: "too many folders", change: func(c *Contents) {
			for i := range maxFolders / 20 {
				c.Files = append(c.Files, bytesFile(fmt.Sprintf("%d/", i)+strings.Repeat("a/", 20)+"b", nil))
			}
		}},
		{desc: "negative size", change: func(c *Contents) { c.Files = []File{{Name: "n", Size: -1, Open: f.Open}} }},
		{desc: "too many files", change: func(c *Contents) {
			c.Files = make([]File, DefaultMaxEntries)
			for i := range c.Files {
				c.Files[i] = bytesFile(fmt.Sprintf("f%d", i), nil)
			}
		}},
		{desc: "too large", change: func(c *Contents) {
			c.Files = []File{{Name: "a", Size: 40 << 30, Open: f.Open}, {Name: "b", Size: 40 << 30, Open: f.Open}}
		}},
		{desc: "no opener", change: func(c *Contents) { c.Files = []File{{Name: "n"}} }},
		{desc: "note not UTF-8", change: func(c *Contents) { c.Note = []byte{0xff} }},
		{desc: "note too long", change: func(c *Contents) { c.Note = make([]byte, MaxNoteSize+1) }},
		{desc: "referral not JSON", change: func(c *Contents) { c.Referral = []byte("{") }},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			c := baseContents(f)
			tc.change(&c)
			var buf bytes.Buffer
			_, err := Seal(&buf, []age.Recipient{id.Recipient()}, c)
			if !errors.Is(err, ErrBadContents) {
				t.Fatalf("Seal: %v, want %v", err, ErrBadContents)
			}
			if buf.Len() != 0 {
				t.Errorf("Seal wrote %d bytes", buf.Len())
			}
		})
	}
}

func TestReferralWithSignature(t *testing.T) {
	id := newIdentity(t)
	reply := newIdentity(t).Recipient().String()
	var signed []byte
	c := baseContents(bytesFile("dossier.pdf", []byte("%PDF")))
	c.Kind, c.Partner, c.ReplyRecipient = KindReferral, "fld", reply
	c.Referral = []byte(`{"name":"demo"}`)
	c.Sign = func(m []byte) ([]byte, error) {
		signed = bytes.Clone(m)
		return []byte("untrusted comment: test\nnot a real signature\n"), nil
	}
	data := seal(t, id, c)
	_, outDir := workspace(t)
	res, err := open(data, id, outDir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.ManifestJSON, signed) {
		t.Error("Sign did not receive the exact manifest.json bytes")
	}
	if !res.HasSignature() || !strings.HasPrefix(string(res.Signature), "untrusted comment") {
		t.Errorf("signature = %q", res.Signature)
	}
	if res.Kind != KindReferral || res.Partner != "fld" || res.ReplyRecipient != reply {
		t.Errorf("result = %+v", res)
	}
	sig, err := os.ReadFile(filepath.Join(res.Dir, "manifest.json.minisig"))
	if err != nil || !bytes.Equal(sig, res.Signature) {
		t.Errorf("manifest.json.minisig on disk: %q, %v", sig, err)
	}
}

func TestSealSignerError(t *testing.T) {
	c := baseContents()
	c.Sign = func([]byte) ([]byte, error) { return nil, errors.New("no key") }
	if _, err := Seal(io.Discard, []age.Recipient{newIdentity(t).Recipient()}, c); err == nil {
		t.Fatal("Seal succeeded although signing failed")
	}
}

func TestNoteTruncated(t *testing.T) {
	id := newIdentity(t)
	c := baseContents()
	c.Note = bytes.Repeat([]byte("n"), MaxNoteShown+10)
	_, outDir := workspace(t)
	res, err := open(seal(t, id, c), id, outDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Note) != MaxNoteShown || !res.NoteTruncated {
		t.Errorf("note of %d bytes, truncated %v", len(res.Note), res.NoteTruncated)
	}
}

func TestCheckFileName(t *testing.T) {
	tests := []struct {
		desc string
		name string
		ok   bool
	}{
		{desc: "simple", name: "a.txt", ok: true},
		{desc: "nested", name: "a/b/c.txt", ok: true},
		{desc: "arabic", name: "تقرير/شهادة.pdf", ok: true},
		{desc: "spaces inside", name: "my report 2026.pdf", ok: true},
		{desc: "leading dot", name: ".hidden", ok: true},
		{desc: "empty", name: ""},
		{desc: "dotdot", name: "a/../b"},
		{desc: "dot", name: "./a"},
		{desc: "absolute", name: "/a"},
		{desc: "trailing slash", name: "a/"},
		{desc: "backslash", name: `a\b`},
		{desc: "nul", name: "a\x00b"},
		{desc: "invalid utf-8", name: "a\xffb"},
		{desc: "replacement char", name: "a\uFFFDb"},
		{desc: "c1 control", name: "a\u0085b"},
		{desc: "bidi override", name: "report\u202efdp.exe"},
		{desc: "colon", name: "file.txt:stream"},
		{desc: "trailing dot", name: "a."},
		{desc: "trailing space", name: "a "},
		{desc: "device", name: "dir/nul.txt"},
		{desc: "device lower", name: "com1"},
		{desc: "long component", name: strings.Repeat("a", 256)},
		{desc: "long name", name: strings.Repeat("a/", 510) + "b"},
		{desc: "device superscript", name: "COM\u00b2"},
		{desc: "device superscript with extension", name: "a/lpt\u00b9.txt"},
		{desc: "superscript elsewhere", name: "x\u00b2.txt", ok: true},
		{desc: "64 folders deep", name: strings.Repeat("a/", 64) + "b", ok: true},
		{desc: "65 folders deep", name: strings.Repeat("a/", 65) + "b"},
		{desc: "persian zero-width non-joiner", name: "می\u200cخواهم.pdf", ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if err := checkFileName(tc.name); (err == nil) != tc.ok {
				t.Errorf("checkFileName(%q) = %v", tc.name, err)
			}
		})
	}
}

func TestHeaderStanzaTypes(t *testing.T) {
	id := newIdentity(t)
	x, _ := age.GenerateX25519Identity()
	tests := []struct {
		desc    string
		file    []byte
		want    string
		wantErr bool
		pq      bool
	}{
		{desc: "bundle", file: seal(t, id, baseContents()), want: "mlkem768x25519", pq: true},
		{desc: "two recipients", file: encrypt(t, []byte("x"), id.Recipient(), newIdentity(t).Recipient()), want: "mlkem768x25519 mlkem768x25519", pq: true},
		{desc: "x25519", file: encrypt(t, []byte("x"), x.Recipient()), want: "X25519"},
		{desc: "scrypt", file: encrypt(t, []byte("x"), scryptRecipient(t)), want: "scrypt"},
		{desc: "not age", file: []byte("PK\x03\x04 zip"), wantErr: true},
		{desc: "empty", file: nil, wantErr: true},
		{desc: "truncated header", file: seal(t, id, baseContents())[:60], wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			types, err := HeaderStanzaTypes(bytes.NewReader(tc.file))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if got := strings.Join(types, " "); got != tc.want {
				t.Errorf("types = %q, want %q", got, tc.want)
			}
			if (CheckStanzaTypes(types) == nil) != tc.pq {
				t.Errorf("CheckStanzaTypes(%q) = %v", types, CheckStanzaTypes(types))
			}
		})
	}
	if CheckStanzaTypes(nil) == nil {
		t.Error("CheckStanzaTypes accepts no stanza")
	}
}

// TestNameSetFolders checks the folder limit at its edge: Seal and Open
// both give nameSet whole entry names, so they count the same folders.
func TestNameSetFolders(t *testing.T) {
	s := newNameSet()
	// "files" and one folder per name: maxFolders in all.
	for i := range maxFolders - 1 {
		if err := s.add(fmt.Sprintf("files/%d/x", i)); err != nil {
			t.Fatalf("folder %d: %v", i+2, err)
		}
	}
	if err := s.add("files/0/y"); err != nil {
		t.Fatalf("a file in a folder already counted: %v", err)
	}
	if err := s.add("files/last/x"); !errors.Is(err, errTooManyFolders) {
		t.Fatalf("folder %d: %v, want %v", maxFolders+1, err, errTooManyFolders)
	}
}
