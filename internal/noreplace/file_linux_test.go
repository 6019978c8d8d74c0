package noreplace

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFileShortWrite: when the file system takes only part of what
// is written (here for real: the writing process runs under prlimit
// --fsize, so its files may not grow past 64 KiB and the write of 1 MiB
// is cut short with EFBIG), WriteFile fails with the file system's error
// and leaves nothing: no file at the name, no temporary file.
func TestWriteFileShortWrite(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is needed: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(prlimit, "--fsize=65536", os.Args[0], "-test.run=^TestWriteFileShortWriteChild$")
	cmd.Env = append(os.Environ(), "NOREPLACE_SHORT_WRITE_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "write error: ") || !strings.Contains(string(out), "file too large") {
		t.Errorf("the child did not see the short write fail:\n%s", out)
	}
	onlyNames(t, dir)
}

// TestWriteFileShortWriteChild is the process of TestWriteFileShortWrite.
func TestWriteFileShortWriteChild(t *testing.T) {
	dir := os.Getenv("NOREPLACE_SHORT_WRITE_DIR")
	if dir == "" {
		return // run only as TestWriteFileShortWrite's child
	}
	var n int64
	err := WriteFile(filepath.Join(dir, "officer.key"), func(w io.Writer) error {
		var err error
		n, err = io.Copy(w, bytes.NewReader(make([]byte, 1<<20)))
		return err
	})
	if err == nil {
		t.Fatal("a write of 1 MiB past the file size limit succeeded")
	}
	fmt.Printf("wrote %d bytes; write error: %v\n", n, err)
}
