package noreplace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestRename: Rename, and renameChecked (its fallback, and the whole of
// it off Linux), move a folder with its files, and a file, to a free
// name; a name already taken by a file, an empty folder, a folder with a
// file in it or a dangling symbolic link gives an error that wraps
// fs.ErrExist and stays as it was, and the source is left where it was.
func TestRename(t *testing.T) {
	for _, place := range []struct {
		name   string
		rename func(oldpath, newpath string) error
	}{
		{"Rename", Rename},
		{"renameChecked", renameChecked},
	} {
		t.Run(place.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "staged")
			mustMkdir(t, src)
			mustWrite(t, filepath.Join(src, "message.txt"), "hello")
			if err := place.rename(src, filepath.Join(dir, "reply-1")); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "reply-1", "message.txt")); err != nil || string(b) != "hello" {
				t.Fatalf("the folder moved holds %q, %v", b, err)
			}
			mustWrite(t, filepath.Join(dir, "f"), "file")
			if err := place.rename(filepath.Join(dir, "f"), filepath.Join(dir, "g")); err != nil {
				t.Fatal(err)
			}
			onlyNames(t, dir, "g", "reply-1")

			for _, taken := range []struct {
				what string
				make func(name string)
				same func(name string) bool
			}{
				{"file", func(n string) { mustWrite(t, n, "precious") },
					func(n string) bool { b, _ := os.ReadFile(n); return string(b) == "precious" }},
				{"empty folder", func(n string) { mustMkdir(t, n) },
					func(n string) bool { e, err := os.ReadDir(n); return err == nil && len(e) == 0 }},
				{"folder", func(n string) { mustMkdir(t, n); mustWrite(t, filepath.Join(n, "x"), "precious") },
					func(n string) bool { b, _ := os.ReadFile(filepath.Join(n, "x")); return string(b) == "precious" }},
				{"dangling link", func(n string) {
					if err := os.Symlink("nowhere", n); err != nil {
						t.Fatal(err)
					}
				}, func(n string) bool { l, _ := os.Readlink(n); return l == "nowhere" }},
			} {
				t.Run(taken.what, func(t *testing.T) {
					dir := t.TempDir()
					src, dst := filepath.Join(dir, "staged"), filepath.Join(dir, "reply-1")
					mustMkdir(t, src)
					mustWrite(t, filepath.Join(src, "message.txt"), "new")
					taken.make(dst)
					if err := place.rename(src, dst); !errors.Is(err, fs.ErrExist) {
						t.Fatalf("over a %s: %v, want fs.ErrExist", taken.what, err)
					}
					if !taken.same(dst) {
						t.Errorf("the %s at the name was changed", taken.what)
					}
					if b, _ := os.ReadFile(filepath.Join(src, "message.txt")); string(b) != "new" {
						t.Errorf("the source was not left where it was: holds %q", b)
					}
				})
			}
		})
	}
}

func mustMkdir(t *testing.T, name string) {
	t.Helper()
	if err := os.Mkdir(name, 0o700); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSyncDir: SyncDir syncs a folder, and fails for a folder that is
// not there (except on Windows, where it does nothing).
func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "gone")); err == nil && runtime.GOOS != "windows" {
		t.Fatal("syncing a folder that is not there succeeded")
	}
}
