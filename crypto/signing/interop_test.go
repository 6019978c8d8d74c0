package signing

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// minisignPath returns the stock minisign binary; the interop tests need it
// and fail (never skip) without it.
func minisignPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("minisign")
	if err != nil {
		t.Fatal("stock minisign not found in PATH: install minisign (Debian/Ubuntu: apt-get install -y minisign)")
	}
	return p
}

func runMinisign(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(minisignPath(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("minisign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Stock minisign verifies our signatures, with the trusted comment.
func TestInteropStockVerifiesOurSignature(t *testing.T) {
	k := mustGenerate(t)
	dir := t.TempDir()
	msg := filepath.Join(dir, "msg")
	os.WriteFile(msg, []byte("hello refuge\n"), 0o600)
	sig, err := k.Sign([]byte("hello refuge\n"), "refuge test comment")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(msg+".minisig", sig, 0o600)
	out := runMinisign(t, "", "-Vm", msg, "-P", k.Public().String())
	if !strings.Contains(out, "Trusted comment: refuge test comment") {
		t.Fatalf("minisign output lacks the trusted comment:\n%s", out)
	}
	// And rejects it for a tampered message.
	os.WriteFile(msg, []byte("hello refugE\n"), 0o600)
	cmd := exec.Command(minisignPath(t), "-Vm", msg, "-P", k.Public().String())
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("stock minisign accepted a tampered message:\n%s", out)
	}
}

// We verify signatures made by stock minisign with a key it generated.
func TestInteropWeVerifyStockSignature(t *testing.T) {
	dir := t.TempDir()
	pub, sec, msg := filepath.Join(dir, "k.pub"), filepath.Join(dir, "k.key"), filepath.Join(dir, "msg")
	runMinisign(t, "", "-G", "-W", "-p", pub, "-s", sec)
	os.WriteFile(msg, []byte("signed by stock minisign\n"), 0o600)
	runMinisign(t, "", "-S", "-s", sec, "-m", msg, "-t", "stock comment")

	pubText, _ := os.ReadFile(pub)
	p, err := ParsePublicKey(string(pubText))
	if err != nil {
		t.Fatalf("ParsePublicKey(stock .pub file): %v", err)
	}
	sig, _ := os.ReadFile(msg + ".minisig")
	tc, err := p.Verify([]byte("signed by stock minisign\n"), sig)
	if err != nil {
		t.Fatalf("Verify(stock signature): %v", err)
	}
	if tc != "stock comment" {
		t.Errorf("trusted comment = %q", tc)
	}
	if _, err := p.Verify([]byte("signed by stock minisign!\n"), sig); err == nil {
		t.Fatal("verified a stock signature over a different message")
	}
	// Stock minisign's unencrypted key file is refused by LoadPrivateKey.
	if _, err := LoadPrivateKey(sec, []byte("pw")); !errors.Is(err, ErrNotEncrypted) {
		t.Fatalf("LoadPrivateKey(unencrypted stock key) = %v, want ErrNotEncrypted", err)
	}
}

// Stock minisign signs with a key file we wrote, given its passphrase.
// TestInteropStockUsesOurKeyFile: stock minisign signs with our key file
// (at the test cost; TestReleaseKeyFileCost tries the release cost).
func TestInteropStockUsesOurKeyFile(t *testing.T) {
	stockSignsWith(t, true)
}

// stockSignsWith writes a key file at the test cost (low) or the release
// cost and has stock minisign sign with it.
func stockSignsWith(t *testing.T, low bool) {
	t.Helper()
	k := mustGenerate(t)
	dir := t.TempDir()
	key, msg := filepath.Join(dir, "root.key"), filepath.Join(dir, "msg")
	if err := k.writeFile(context.Background(), key, []byte("interop passphrase"), low); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(msg, []byte("signed by stock minisign with our key\n"), 0o600)
	runMinisign(t, "interop passphrase\n", "-S", "-s", key, "-m", msg, "-t", "from our key file")
	sig, _ := os.ReadFile(msg + ".minisig")
	comment, err := k.Public().Verify([]byte("signed by stock minisign with our key\n"), sig)
	if err != nil {
		t.Fatalf("signature by stock minisign with our key file: %v", err)
	}
	if comment != "from our key file" {
		t.Errorf("trusted comment = %q", comment)
	}
	data, _ := os.ReadFile(key)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[1]))
	if err != nil || len(raw) != skSize {
		t.Fatalf("not a minisign key file: %v", err)
	}
	want := lowCost
	if !low {
		want = releaseCost
	}
	if ops, mem := binary.LittleEndian.Uint64(raw[38:]), binary.LittleEndian.Uint64(raw[46:]); ops != want.ops || mem != want.mem {
		t.Fatalf("recorded cost ops=%d mem=%d, want %d and %d", ops, mem, want.ops, want.mem)
	}
}
