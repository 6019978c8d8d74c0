package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"
)

// TestSealedSizeMatchesSeal checks the announced size against what Seal
// really writes, over the shapes that change the tar layout: empty and
// chunk-sized files, long and non-ASCII names (PAX headers), a note, a
// referral, a partner signature and several recipients.
func TestSealedSizeMatchesSeal(t *testing.T) {
	_, key, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(mj []byte) ([]byte, error) {
		return minisign.SignWithComments(key, mj, "refuge referral by fld", "untrusted"), nil
	}
	zeros := func(n int) []byte { return make([]byte, n) }
	long := strings.Repeat("a/", 60) + "x.pdf"
	tests := []struct {
		desc       string
		files      []File
		note       []byte
		referral   []byte
		sign       bool
		recipients int
	}{
		{desc: "note only", note: []byte("hello")},
		{desc: "one empty file", files: []File{bytesFile("empty", nil)}},
		{desc: "one byte", files: []File{bytesFile("a", zeros(1))}},
		{desc: "exactly the 64 KiB minimum", files: []File{bytesFile("a", zeros(64<<10-3*512))}},
		{desc: "just past the minimum", files: []File{bytesFile("a", zeros(64<<10))}},
		{desc: "several age chunks", files: []File{bytesFile("a", zeros(5*64<<10+17))}},
		{desc: "long name (PAX)", files: []File{bytesFile(long, zeros(1000))}},
		{desc: "non-ASCII name (PAX)", files: []File{bytesFile("dossier/été/фото.jpg", zeros(3000))}},
		{desc: "many files", files: func() []File {
			var fs []File
			for i := range 40 {
				fs = append(fs, bytesFile(strings.Repeat("n", i+1), zeros(i*777)))
			}
			return fs
		}()},
		{desc: "referral signed by a partner", files: []File{bytesFile("a.pdf", zeros(2000))},
			referral: []byte(`{"case":"x"}`), note: []byte("note"), sign: true},
		{desc: "three recipients", files: []File{bytesFile("a", zeros(100))}, recipients: 3},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var rs []age.Recipient
			for range max(tc.recipients, 1) {
				rs = append(rs, newIdentity(t).Recipient())
			}
			c := baseContents(tc.files...)
			c.Note, c.Referral = tc.note, tc.referral
			if tc.sign {
				c.Sign = sign
				c.Kind, c.Partner = KindReferral, "fld"
			}
			checkSealedSize(t, rs, c)
		})
	}
}

// TestSealedSizeRandom compares SealedSize with Seal for random file sets.
func TestSealedSizeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rs := []age.Recipient{newIdentity(t).Recipient()}
	for i := range 30 {
		var files []File
		for j := range rng.IntN(4) + 1 {
			files = append(files, bytesFile(strings.Repeat("f", 1+rng.IntN(150))+string(rune('a'+j)), make([]byte, rng.IntN(300<<10))))
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkSealedSize(t, rs, baseContents(files...)) })
	}
}

// checkSealedSize fails if SealedSize differs from what Seal writes.
func checkSealedSize(t *testing.T, rs []age.Recipient, c Contents) {
	t.Helper()
	want, err := SealedSize(rs, c)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Seal(&buf, rs, c); err != nil {
		t.Fatal(err)
	}
	if got := int64(buf.Len()); got != want {
		t.Fatalf("SealedSize = %d, Seal wrote %d", want, got)
	}
}

func TestSealedSizeRefusesWhatSealRefuses(t *testing.T) {
	rs := []age.Recipient{newIdentity(t).Recipient()}
	c := baseContents(bytesFile("../escape", []byte("x")))
	if _, err := SealedSize(rs, c); !errors.Is(err, ErrBadContents) {
		t.Fatalf("bad name: got %v, want ErrBadContents", err)
	}
	c = baseContents(bytesFile("a", []byte("x")))
	c.Created = time.Time{}
	if _, err := SealedSize(rs, c); !errors.Is(err, ErrBadContents) {
		t.Fatalf("no Created: got %v, want ErrBadContents", err)
	}
	if _, err := SealedSize(nil, baseContents()); err == nil {
		t.Fatal("no recipients accepted")
	}
}
