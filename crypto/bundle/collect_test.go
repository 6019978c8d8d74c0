//go:build unix

package bundle

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"filippo.io/age"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCollectFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"evidence/a.txt":        "a",
		"evidence/sub/b.txt":    "bb",
		"evidence/свидетель.md": "ccc",
		"single.pdf":            "dddd",
	})
	if err := os.Mkdir(filepath.Join(dir, "evidence", "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	files, err := CollectFiles([]string{filepath.Join(dir, "evidence"), filepath.Join(dir, "single.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if int64(len(b)) != f.Size {
			t.Errorf("%s: size %d, read %d", f.Name, f.Size, len(b))
		}
	}
	want := []string{"evidence/a.txt", "evidence/sub/b.txt", "evidence/свидетель.md", "single.pdf"}
	if !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
}

func TestCollectFilesRefuses(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a/report.txt":     "x",
		"b/REPORT.TXT":     "y",
		"a/caf\u00e9.txt":  "nfc",
		"b/cafe\u0301.txt": "nfd",
		"c/x.txt":          "z",
		"what?.txt":        "q",
		"ok/inside.txt":    "ok",
	})
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(filepath.Join(dir, "c", "x.txt"), filepath.Join(dir, "link.txt")))
	must(os.Symlink(filepath.Join(dir, "c"), filepath.Join(dir, "ok", "dirlink")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600))
	tests := []struct {
		desc  string
		paths []string
		want  string
	}{
		{desc: "symlink argument", paths: []string{"link.txt"}, want: "symbolic link"},
		{desc: "symlink inside a folder", paths: []string{"ok"}, want: "symbolic link"},
		{desc: "fifo", paths: []string{"fifo"}, want: "named pipe"},
		{desc: "case duplicate", paths: []string{"a/report.txt", "b/REPORT.TXT"}, want: "same name"},
		{desc: "NFC and NFD duplicate", paths: []string{"a/caf\u00e9.txt", "b/cafe\u0301.txt"}, want: "same name"},
		{desc: "same file twice", paths: []string{"c/x.txt", "c/x.txt"}, want: "same name"},
		{desc: "unsafe character", paths: []string{"what?.txt"}, want: "rename it"},
		{desc: "missing", paths: []string{"nope"}, want: "no such file"},
		{desc: "root", paths: []string{"/"}, want: "root"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var paths []string
			for _, p := range tc.paths {
				if !filepath.IsAbs(p) {
					p = filepath.Join(dir, p)
				}
				paths = append(paths, p)
			}
			files, err := CollectFiles(paths)
			if err == nil {
				t.Fatalf("CollectFiles succeeded: %d files", len(files))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "lstat") {
				t.Errorf("error %q names the system call", err)
			}
		})
	}
}

// TestCollectFilesMissing: a missing file is named once, plainly, and the
// error still tells that it does not exist.
func TestCollectFilesMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.pdf")
	_, err := CollectFiles([]string{p})
	if want := "cannot seal " + p + ": no such file or directory"; err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %q is not fs.ErrNotExist", err)
	}
}

func TestSealDetectsChangedFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(p, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := CollectFiles([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	id := newIdentity(t)
	for _, tc := range []struct {
		desc, content, want string
	}{
		{desc: "grew", content: "123456", want: "grew"},
		{desc: "shrank", content: "1234", want: "shrank"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Seal(io.Discard, []age.Recipient{id.Recipient()}, baseContents(files...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Seal: %v, want an error saying the file %s", err, tc.want)
			}
		})
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), p); err != nil {
		t.Fatal(err)
	}
	_, err = Seal(io.Discard, []age.Recipient{id.Recipient()}, baseContents(files...))
	if err == nil {
		t.Error("Seal followed a symlink swapped in after CollectFiles")
	}
	if errors.Is(err, ErrBadContents) {
		t.Errorf("unexpected contents error: %v", err)
	}
}
