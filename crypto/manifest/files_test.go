package manifest

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFiles(t *testing.T) {
	root := newKey(t)
	mj, sig, err := Sign(goodManifest(t), root, testNow)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mp, sp := filepath.Join(dir, FileName), filepath.Join(dir, SignatureFileName)
	os.WriteFile(mp, mj, 0o644)
	os.WriteFile(sp, sig, 0o644)
	gotM, gotS, err := ReadFiles(mp, sp)
	if err != nil || !bytes.Equal(gotM, mj) || !bytes.Equal(gotS, sig) {
		t.Fatalf("ReadFiles: %v", err)
	}
	if _, err := Verify(gotM, gotS, root.Public(), testNow, nil); err != nil {
		t.Fatal(err)
	}

	huge := filepath.Join(dir, "huge.json")
	os.WriteFile(huge, bytes.Repeat([]byte(" "), MaxSize+1), 0o644)
	if _, _, err := ReadFiles(huge, sp); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("huge manifest: %v, want ErrTooLarge", err)
	}
	hugeSig := filepath.Join(dir, "huge.minisig")
	os.WriteFile(hugeSig, bytes.Repeat([]byte("A"), 5000), 0o644)
	if _, _, err := ReadFiles(mp, hugeSig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("huge signature: %v, want ErrBadSignature", err)
	}
	if _, _, err := ReadFiles(mp, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing signature: %v, want fs.ErrNotExist", err)
	}
}
