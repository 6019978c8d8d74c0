package cli

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestMadeDirs: MakeDirs returns only the folders it made; RemoveEmpty
// removes those still empty, innermost first, and nothing that holds
// anything (a file another program put there) or is not a folder (a file
// put in the place of one), nor the folders above them.
func TestMadeDirs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a", "b", "c")
	made, err := MakeDirs(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != 3 || made[0] != filepath.Join(dir, "a") || made[2] != out {
		t.Fatalf("made %q, want a, a/b, a/b/c", made)
	}
	again, err := MakeDirs(out)
	if err != nil || len(again) != 0 {
		t.Fatalf("made %q (%v) where every folder was there", again, err)
	}

	// Someone else's file in a/b: c goes, a/b and a stay.
	mine := filepath.Join(dir, "a", "b", "theirs.txt")
	if err := os.WriteFile(mine, []byte("not ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	made.RemoveEmpty()
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the empty folder made stays: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a file not put there by the command: %v", err)
	}

	// A file in the place of the folder made is not removed.
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	made.RemoveEmpty()
	if _, err := os.Stat(out); err != nil {
		t.Errorf("a file in the place of a folder made: %v", err)
	}

	// A name that is a file is refused as MkdirAll refuses it, and
	// nothing is made under it.
	if made, err := MakeDirs(filepath.Join(out, "d")); err == nil {
		t.Errorf("a folder under a file: made %q", made)
	}
	if _, err := MakeDirs(out); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("a file as the folder: %v, want ENOTDIR", err)
	}
}
