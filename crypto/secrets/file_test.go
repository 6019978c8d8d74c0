package secrets

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "officer.key")
	err := WriteFile(name, func(w io.Writer) error {
		_, err := io.WriteString(w, "secret")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	err = WriteFile(name, func(w io.Writer) error {
		_, err := io.WriteString(w, "other")
		return err
	})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second write: got %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(name); string(b) != "secret" {
		t.Errorf("existing file changed to %q", b)
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	name := filepath.Join(t.TempDir(), "officer.key")
	boom := errors.New("boom")
	err := WriteFile(name, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("half-written file left behind: %v", err)
	}
}

func TestWriteFileUmaskIgnored(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "k")
	if err := WriteFile(name, func(io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("secret file readable by others: %v", fi.Mode())
	}
}
