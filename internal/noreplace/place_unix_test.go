//go:build unix

package noreplace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestPlaceFallbacks: the fallbacks for file systems without a rename
// that never replaces (link then unlink) or without hard links (an
// exclusive placeholder renamed over) put the file in place, and refuse
// an existing name, leaving it as it was.
func TestPlaceFallbacks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		place func(tmp, name string) error
	}{
		{"linkNoReplace", linkNoReplace},
		{"linkThenUnlink", linkThenUnlink},
		{"placeholderRename", placeholderRename},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tmp, name := filepath.Join(dir, PartialPrefix+"0"), filepath.Join(dir, "k")
			write := func(name, data string) {
				if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(tmp, "key")
			if err := tc.place(tmp, name); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(name); string(b) != "key" {
				t.Errorf("placed file holds %q", b)
			}
			write(tmp, "another")
			if err := tc.place(tmp, name); !errors.Is(err, fs.ErrExist) {
				t.Errorf("over an existing file: %v, want fs.ErrExist", err)
			}
			if b, _ := os.ReadFile(name); string(b) != "key" {
				t.Errorf("existing file replaced: holds %q", b)
			}
			onlyNames(t, dir, PartialPrefix+"0", "k") // the caller removes its temporary file
		})
	}
}
