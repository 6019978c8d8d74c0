package bundle

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"filippo.io/age"
)

func TestRoundTrip(t *testing.T) {
	id := newIdentity(t)
	many := make([]File, 300)
	for i := range many {
		many[i] = bytesFile(fmt.Sprintf("many/f%03d.txt", i), []byte(fmt.Sprintf("file %d\n", i)))
	}
	big := make([]byte, 3<<20+17)
	rand.Read(big)
	tests := []struct {
		desc     string
		files    []File
		note     []byte
		referral []byte
	}{
		{desc: "zero-byte file", files: []File{bytesFile("empty.bin", nil)}},
		{desc: "one file", files: []File{bytesFile("report.pdf", []byte("%PDF-1.7 hello"))}},
		{desc: "large file across chunks", files: []File{bytesFile("video.mp4", big)}},
		{desc: "many files", files: many},
		{desc: "arabic cyrillic chinese names", files: []File{
			bytesFile("تقرير/شهادة.txt", []byte("عربي")),
			bytesFile("доклад/свидетельство.txt", []byte("русский")),
			bytesFile("报告/证词.txt", []byte("中文")),
		}},
		{desc: "nested folders", files: []File{
			bytesFile("a/b/c/d/e/deep.txt", []byte("deep")),
			bytesFile("a/b/side.txt", []byte("side")),
			bytesFile("a/top.txt", []byte("top")),
		}},
		{desc: "nested as deep as allowed", files: []File{bytesFile(strings.Repeat("d/", maxDepth)+"deepest.txt", []byte("deep"))}},
		{desc: "persian name with zero-width non-joiner", files: []File{bytesFile("گزارش/می\u200cخواهم.txt", []byte("فارسی"))}},
		{desc: "note only", note: []byte("Please call me back.\nملاحظة")},
		{desc: "referral and note", files: []File{bytesFile("x.txt", []byte("x"))},
			note: []byte("note"), referral: []byte(`{"case":"demo"}`)},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, outDir := workspace(t)
			c := baseContents(tc.files...)
			c.Note, c.Referral = tc.note, tc.referral
			var sealed, opened atomic.Int64
			c.Progress = &sealed
			data := seal(t, id, c)
			res, err := Open(bytes.NewReader(data), []age.Identity{id}, outDir, Options{Progress: &opened})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if sealed.Load() < PaddedSize(0) || opened.Load() != int64(len(data)) {
				t.Errorf("progress: sealed %d, opened %d of %d", sealed.Load(), opened.Load(), len(data))
			}
			if res.SubmissionID != testID || res.Kind != KindAnonymous || res.Created != "2026-11-30" {
				t.Errorf("result = %+v", res)
			}
			if res.Dir != filepath.Join(outDir, testID) {
				t.Errorf("Dir = %q", res.Dir)
			}
			want := len(tc.files)
			for _, f := range tc.files {
				got, err := os.ReadFile(filepath.Join(res.Dir, "files", filepath.FromSlash(f.Name)))
				if err != nil {
					t.Fatal(err)
				}
				rc, _ := f.Open()
				var exp bytes.Buffer
				exp.ReadFrom(rc)
				if !bytes.Equal(got, exp.Bytes()) {
					t.Errorf("%s: content differs", f.Name)
				}
			}
			if tc.note != nil {
				want++
				if res.Note != string(tc.note) || res.NoteTruncated {
					t.Errorf("Note = %q", res.Note)
				}
			}
			if tc.referral != nil {
				want++
				got, err := os.ReadFile(filepath.Join(res.Dir, "referral.json"))
				if err != nil || !bytes.Equal(got, tc.referral) {
					t.Errorf("referral.json = %q, %v", got, err)
				}
			}
			if len(res.Entries) != want {
				t.Errorf("%d entries, want %d", len(res.Entries), want)
			}
			mj, err := os.ReadFile(filepath.Join(res.Dir, "manifest.json"))
			if err != nil || !bytes.Equal(mj, res.ManifestJSON) {
				t.Errorf("manifest.json on disk differs from Result.ManifestJSON: %v", err)
			}
			if res.HasSignature() {
				t.Error("unexpected signature")
			}
			if res.CiphertextSize != int64(len(data)) {
				t.Errorf("CiphertextSize = %d, want %d", res.CiphertextSize, len(data))
			}
			if res.CiphertextSHA256 != sha256Sum(data) {
				t.Error("CiphertextSHA256 differs")
			}
			left, err := StagingLeftovers(outDir)
			if err != nil || len(left) != 0 {
				t.Errorf("staging left behind: %v", left)
			}
		})
	}
}
