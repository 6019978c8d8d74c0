package noreplace

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "officer.key")
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
	if !errors.Is(err, ErrExists) || err.Error() != "officer.key: file already exists" {
		t.Fatalf("second write: got %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(name); string(b) != "secret" {
		t.Errorf("existing file changed to %q", b)
	}
	onlyNames(t, dir, "officer.key")
}

// onlyNames fails unless dir holds exactly names (no temporary file left).
func onlyNames(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("the folder holds %q, want %q", got, names)
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "officer.key")
	boom := errors.New("boom")
	err := WriteFile(name, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	onlyNames(t, dir)
}

// TestWriteFilePartial: while write runs, the file is not at its name;
// what is written goes to one temporary file in the same folder, named
// with PartialPrefix and 16 hex digits, of mode 0600.
func TestWriteFilePartial(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "officer.key")
	err := WriteFile(name, func(w io.Writer) error {
		io.WriteString(w, "half")
		if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the file is at its name before it is complete: %v", err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("the folder holds %v, %v; want one temporary file", entries, err)
		}
		tmp := entries[0].Name()
		if !strings.HasPrefix(tmp, PartialPrefix) || len(tmp) != len(PartialPrefix)+16 {
			t.Errorf("temporary file %q, want %s and 16 hex digits", tmp, PartialPrefix)
		}
		fi, err := os.Lstat(filepath.Join(dir, tmp))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("temporary file: %v, %v; want a regular file of mode 0600", fi, err)
		}
		_, err = io.WriteString(w, " and the rest")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "half and the rest" {
		t.Errorf("the file holds %q", b)
	}
	onlyNames(t, dir, "officer.key")
}

// TestWriteFileNeverReplaces: a file, or a symbolic link, that appears at
// the name while write runs (after the early check) stays as it is; the
// write fails with ErrExists and leaves no temporary file.
func TestWriteFileNeverReplaces(t *testing.T) {
	for _, tc := range []struct {
		what   string
		appear func(name string) error
	}{
		{"file", func(name string) error { return os.WriteFile(name, []byte("precious"), 0o600) }},
		{"dangling link", func(name string) error { return os.Symlink("nowhere", name) }},
	} {
		t.Run(tc.what, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "officer.key")
			err := WriteFile(name, func(w io.Writer) error {
				if err := tc.appear(name); err != nil {
					t.Fatal(err)
				}
				_, err := io.WriteString(w, "new key")
				return err
			})
			if !errors.Is(err, ErrExists) {
				t.Fatalf("got %v, want ErrExists", err)
			}
			fi, err := os.Lstat(name)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().IsRegular() {
				if b, _ := os.ReadFile(name); string(b) != "precious" {
					t.Errorf("the file that appeared now holds %q", b)
				}
			} else if target, _ := os.Readlink(name); target != "nowhere" {
				t.Errorf("the link that appeared now points to %q", target)
			}
			onlyNames(t, dir, "officer.key")
		})
	}
}

// TestWriteNewStopped: once ctx ends, the writer fails with its cause,
// and a write that ignores it, or returns before it, does not put the
// file in place; nothing is left. A ctx ended before the call creates
// nothing.
func TestWriteNewStopped(t *testing.T) {
	stop := errors.New("interrupted") // the cause, as crypto/secrets.Interruptible gives the signal
	for _, tc := range []struct {
		name  string
		write func(w io.Writer, cancel func()) error
	}{
		{"writes after", func(w io.Writer, cancel func()) error {
			io.WriteString(w, "half")
			cancel()
			_, err := io.WriteString(w, "rest")
			if err != stop {
				t.Errorf("a write after the end: %v, want the cause", err)
			}
			return err
		}},
		{"returns nil", func(w io.Writer, cancel func()) error {
			io.WriteString(w, "all")
			cancel()
			return nil
		}},
		{"before", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancelCause(context.Background())
			write := func(w io.Writer) error { return tc.write(w, func() { cancel(stop) }) }
			if tc.write == nil {
				cancel(stop)
				write = func(io.Writer) error { t.Error("write called after the end"); return nil }
			}
			err := WriteNew(ctx, filepath.Join(dir, "officer.key"), 0o600, write)
			if err != stop {
				t.Fatalf("got %v, want the cause %v", err, stop)
			}
			onlyNames(t, dir)
		})
	}
}

// TestWriteNewMode: a public document gets its mode (less the umask);
// ctx ending after the file is in place changes nothing.
func TestWriteNewMode(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "manifest.json")
	ctx, cancel := context.WithCancel(context.Background())
	if err := WriteNew(ctx, name, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "{}"); return err }); err != nil {
		t.Fatal(err)
	}
	cancel()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m&0o600 != 0o600 || m&^0o644 != 0 {
		t.Errorf("mode %v, want 0644 less the umask", m)
	}
	onlyNames(t, dir, "manifest.json")
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
