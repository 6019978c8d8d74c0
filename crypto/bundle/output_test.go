package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newOutput returns an Output to dir/bundle.age in a new temporary
// directory, aborted at the end of the test (which does nothing after
// Commit), and that path.
func newOutput(t *testing.T) (o *Output, dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "bundle.age")
	o, err := CreateOutput(path, os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Abort)
	return o, dir, path
}

func TestOutputCommit(t *testing.T) {
	o, dir, path := newOutput(t)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("destination exists before Commit: %v", err)
	}
	if _, err := o.Write([]byte("data")); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != 4 {
		t.Errorf("mode %v size %d", fi.Mode(), fi.Size())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the bundle", len(entries))
	}
	if _, err := CreateOutput(path, os.Stdout); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("CreateOutput over an existing file: %v", err)
	}
}

func TestOutputAbortLeavesNothing(t *testing.T) {
	o, dir, _ := newOutput(t)
	o.Write([]byte("partial"))
	o.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Abort left %d entries", len(entries))
	}
	if err := o.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestOutputRefusesLateCollision(t *testing.T) {
	o, dir, path := newOutput(t)
	o.Write([]byte("new"))
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(); err == nil {
		t.Fatal("Commit replaced a file that appeared meanwhile")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("existing file changed to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(entries))
	}
}

func TestOutputStdoutPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o, err := CreateOutput("-", w)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		o.Write([]byte("bytes"))
		if err := o.Commit(); err != nil {
			t.Error(err)
		}
		w.Close()
	}()
	buf := make([]byte, 16)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "bytes" {
		t.Errorf("read %q", buf[:n])
	}
}
