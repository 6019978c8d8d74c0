package bundle

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	agetest "c2sp.org/CCTV/age"
	"filippo.io/age"
	"filippo.io/age/armor"
)

// vector is one age known-answer vector from c2sp.org/CCTV/age, parsed as
// filippo.io/age's own testkit_test.go does.
type vector struct {
	name        string
	expect      string
	payloadHash *[32]byte
	identities  []age.Identity
	armored     bool
	file        []byte
}

func loadVectors(t *testing.T) []*vector {
	t.Helper()
	des, err := fs.ReadDir(agetest.Vectors, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(des) < 100 {
		t.Fatalf("only %d age test vectors found", len(des))
	}
	var vs []*vector
	for _, de := range des {
		b, err := fs.ReadFile(agetest.Vectors, de.Name())
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, parseVector(t, de.Name(), b))
	}
	return vs
}

func parseVector(t *testing.T, name string, b []byte) *vector {
	v := &vector{name: name}
	compressed := false
	for {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			t.Fatalf("%s: no payload", name)
		}
		b = rest
		if len(line) == 0 {
			break
		}
		key, value, _ := strings.Cut(string(line), ": ")
		switch key {
		case "expect":
			v.expect = value
		case "payload":
			h, err := hex.DecodeString(value)
			if err != nil {
				t.Fatal(err)
			}
			v.payloadHash = (*[32]byte)(h)
		case "identity":
			var id age.Identity
			id, err := age.ParseX25519Identity(value)
			if err != nil {
				id, err = age.ParseHybridIdentity(value)
			}
			if err != nil {
				t.Fatal(err)
			}
			v.identities = append(v.identities, id)
		case "passphrase":
			id, err := age.NewScryptIdentity(value)
			if err != nil {
				t.Fatal(err)
			}
			v.identities = append(v.identities, id)
		case "armored":
			v.armored = true
		case "compressed":
			compressed = true
		case "file key", "comment":
		default:
			t.Fatalf("%s: unknown header %q", name, key)
		}
	}
	if compressed {
		r, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
	}
	v.file = b
	return v
}

// unarmored returns the binary age file of v, or nil if its armor is invalid.
func (v *vector) unarmored() []byte {
	if !v.armored {
		return v.file
	}
	b, err := io.ReadAll(armor.NewReader(bytes.NewReader(v.file)))
	if err != nil {
		return nil
	}
	return b
}

// postQuantum reports whether the header parses and holds only hybrid
// stanzas.
func (v *vector) postQuantum(file []byte) bool {
	types, err := HeaderStanzaTypes(bytes.NewReader(file))
	return err == nil && CheckStanzaTypes(types) == nil
}

// TestVectorsDecrypt runs every vector through the post-quantum decryption
// layer Open uses: vectors with a classic stanza must be refused as not
// post-quantum; the others must have the expected outcome.
func TestVectorsDecrypt(t *testing.T) {
	var pq, refused atomic.Int32
	t.Cleanup(func() {
		if pq.Load() == 0 || refused.Load() == 0 {
			t.Errorf("%d post-quantum and %d refused vectors: the vectors changed shape", pq.Load(), refused.Load())
		}
	})
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			file := v.unarmored()
			if file == nil {
				if v.expect != "armor failure" {
					t.Fatalf("armor failed, want %s", v.expect)
				}
				return
			}
			r, err := age.Decrypt(bytes.NewReader(file), pqOnly(v.identities))
			if !v.postQuantum(file) {
				if err == nil {
					t.Fatal("decrypted a file with a classic or malformed header")
				}
				if !errors.Is(err, ErrNotPostQuantum) && !strings.HasSuffix(v.expect, "failure") {
					t.Fatalf("got %v, want the post-quantum refusal", err)
				}
				refused.Add(1)
				return
			}
			pq.Add(1)
			switch {
			case err != nil && v.expect == "no match":
				if !errors.Is(decryptErr(err), ErrWrongKey) {
					t.Errorf("got %v, want no match", err)
				}
				return
			case err != nil && (v.expect == "header failure" || v.expect == "HMAC failure" || v.expect == "armor failure"):
				return
			case err != nil:
				t.Fatalf("got %v, want %s", err, v.expect)
			case v.expect != "success" && v.expect != "payload failure":
				t.Fatalf("header accepted, want %s", v.expect)
			}
			out, err := io.ReadAll(r)
			if v.expect == "success" {
				if err != nil {
					t.Fatalf("payload: %v", err)
				}
				if sha256.Sum256(out) != *v.payloadHash {
					t.Error("payload hash mismatch")
				}
			} else if err == nil {
				t.Fatalf("payload accepted, want %s", v.expect)
			}
		})
	}
}

// TestVectorsOpen runs every vector through Open: no vector is a Refuge
// bundle, so all fail with the right error and leave OUTDIR unchanged.
func TestVectorsOpen(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			base, outDir := workspace(t)
			before := snapshot(t, base)
			_, err := Open(bytes.NewReader(v.file), v.identities, outDir, Options{})
			if err == nil {
				t.Fatal("Open succeeded")
			}
			file := v.unarmored()
			switch {
			case v.armored:
				// Open reads binary age files only.
			case !v.postQuantum(file):
				if !errors.Is(err, ErrNotPostQuantum) && !strings.HasSuffix(v.expect, "failure") {
					t.Errorf("got %v, want the post-quantum refusal", err)
				}
			case v.expect == "success":
				if !errors.Is(err, ErrNotBundle) {
					t.Errorf("got %v, want %v", err, ErrNotBundle)
				}
			case v.expect == "no match":
				if !errors.Is(err, ErrWrongKey) {
					t.Errorf("got %v, want %v", err, ErrWrongKey)
				}
			}
			if after := snapshot(t, base); !reflect.DeepEqual(before, after) {
				t.Errorf("Open changed the file system:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}
