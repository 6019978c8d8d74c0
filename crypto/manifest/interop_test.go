package manifest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"refuge/crypto/signing"
)

// minisignPath returns the stock minisign binary; these tests fail (never
// skip) without it.
func minisignPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("minisign")
	if err != nil {
		t.Fatal("stock minisign not found in PATH: install minisign (Debian/Ubuntu: apt-get install -y minisign)")
	}
	return p
}

func runMinisign(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(minisignPath(t), args...).CombinedOutput()
	return string(out), err
}

// Stock `minisign -Vm manifest.json -P RW…` verifies a manifest we signed.
func TestInteropStockVerifiesManifest(t *testing.T) {
	root := newKey(t)
	mj, sig, err := Sign(goodManifest(t), root, testNow)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	os.WriteFile(path, mj, 0o644)
	os.WriteFile(filepath.Join(dir, SignatureFileName), sig, 0o644)
	out, err := runMinisign(t, "-Vm", path, "-P", root.Public().String())
	if err != nil {
		t.Fatalf("stock minisign refused our manifest: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Trusted comment: refuge-manifest-v1 version:3") {
		t.Errorf("stock minisign output lacks the trusted comment:\n%s", out)
	}
	// A forged manifest (signed by another key) is refused by stock minisign.
	other := newKey(t)
	if out, err := runMinisign(t, "-Vm", path, "-P", other.Public().String()); err == nil {
		t.Fatalf("stock minisign accepted the manifest under another key:\n%s", out)
	}
}

// Verify accepts a manifest signed by stock minisign with a key it made.
func TestInteropWeVerifyStockSignedManifest(t *testing.T) {
	dir := t.TempDir()
	pub, sec := filepath.Join(dir, "root.pub"), filepath.Join(dir, "root.key")
	if out, err := runMinisign(t, "-G", "-W", "-p", pub, "-s", sec); err != nil {
		t.Fatalf("minisign -G: %v\n%s", err, out)
	}
	mj := mustJSON(t, goodManifest(t))
	path := filepath.Join(dir, FileName)
	os.WriteFile(path, mj, 0o644)
	if out, err := runMinisign(t, "-Sm", path, "-s", sec, "-t", "signed by hand"); err != nil {
		t.Fatalf("minisign -S: %v\n%s", err, out)
	}
	pubText, _ := os.ReadFile(pub)
	rootPub, err := signing.ParsePublicKey(string(pubText))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := os.ReadFile(path + ".minisig")
	m, err := Verify(mj, sig, rootPub, testNow, seenStore(t))
	if err != nil {
		t.Fatalf("Verify(stock-signed manifest): %v", err)
	}
	if m.Version != 3 {
		t.Errorf("version = %d", m.Version)
	}
	// And refuses it under a different pinned key.
	if _, err := Verify(mj, sig, newKey(t).Public(), testNow, nil); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Verify under another key: %v, want ErrWrongKey", err)
	}
}
