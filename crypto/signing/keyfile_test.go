package signing

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"aead.dev/minisign"
)

func TestKeyFileRoundTrip(t *testing.T) {
	k := mustGenerate(t)
	path := filepath.Join(t.TempDir(), "root.key")
	pass := []byte("correct horse battery staple")
	if err := k.WriteFile(path, pass); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	l, err := LoadPrivateKey(path, pass)
	if err != nil {
		t.Fatalf("LoadPrivateKey: %v", err)
	}
	defer l.Destroy()
	if !l.Public().Equal(k.Public()) {
		t.Fatal("loaded key has a different public key")
	}
	sig, err := l.Sign([]byte("m"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Public().Verify([]byte("m"), sig); err != nil {
		t.Fatalf("signature of loaded key does not verify: %v", err)
	}

	// The file is readable by aead.dev/minisign itself.
	data, _ := os.ReadFile(path)
	mk, err := minisign.DecryptKey(string(pass), data)
	if err != nil {
		t.Fatalf("minisign.DecryptKey cannot read our key file: %v", err)
	}
	if mk.ID() != minisignID(t, k.Public()) {
		t.Fatal("minisign.DecryptKey read a different key id")
	}
}

func minisignID(t *testing.T, p PublicKey) uint64 {
	t.Helper()
	return p.k.ID()
}

func TestWriteFileRefusesOverwrite(t *testing.T) {
	k := mustGenerate(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "root.key")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := k.WriteFile(path, []byte("pw"))
	if !errors.Is(err, ErrKeyFileExists) || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteFile over an existing file: error = %v, want ErrKeyFileExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatal("existing file was changed")
	}
	// A dangling symlink is refused too (O_EXCL does not follow it).
	link := filepath.Join(dir, "link.key")
	if err := os.Symlink(filepath.Join(dir, "target"), link); err != nil {
		t.Fatal(err)
	}
	if err := k.WriteFile(link, []byte("pw")); !errors.Is(err, ErrKeyFileExists) {
		t.Fatalf("WriteFile through a symlink: error = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "target")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("WriteFile created the symlink's target")
	}
}

// TestGenerateFileContextStopped: a context that ends (Ctrl-C under
// secrets.Interruptible) before the key file is in place leaves no file,
// neither at the path nor a temporary one beside it, and the error is
// the context's cause.
func TestGenerateFileContextStopped(t *testing.T) {
	dir := t.TempDir()
	stop := errors.New("stopped")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(stop)
	if _, err := GenerateFileContext(ctx, filepath.Join(dir, "root.key"), []byte("pw")); err != stop {
		t.Fatalf("GenerateFileContext after the end: %v, want the cause", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the folder holds %v, want nothing", entries)
	}
	pub, err := GenerateFileContext(context.Background(), filepath.Join(dir, "root.key"), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := LoadPrivateKey(filepath.Join(dir, "root.key"), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Destroy()
	if k.Public().String() != pub.String() {
		t.Error("the key file holds another key")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %v, want the key file alone", entries)
	}
}

func TestLoadPrivateKeyErrors(t *testing.T) {
	k := mustGenerate(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	if err := k.WriteFile(good, []byte("pw")); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, mk, _ := minisign.GenerateKey(nil)
	plain, _ := mk.MarshalText()
	goodData, _ := os.ReadFile(good)
	// Flip one bit of the encrypted key (decoded byte 100 of 158).
	lines := bytes.SplitN(goodData, []byte("\n"), 2)
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(lines[1])))
	if err != nil {
		t.Fatal(err)
	}
	raw[100] ^= 1
	damaged := append(append(lines[0], '\n'), base64.StdEncoding.EncodeToString(raw)...)

	tests := []struct {
		desc string
		path string
		pass string
		want error
	}{
		{"wrong passphrase", good, "wrong", ErrWrongPassphrase},
		{"empty passphrase", good, "", ErrEmptyPassphrase},
		{"unencrypted key", write("plain.key", plain), "pw", ErrNotEncrypted},
		{"not a key", write("junk.key", []byte("hello\nworld\n")), "pw", ErrNotKeyFile},
		{"public key file", write("pub.key", k.Public().PubFile()), "pw", ErrNotKeyFile},
		{"huge file", write("huge.key", bytes.Repeat([]byte("A"), maxKeyFileSize+1)), "pw", ErrNotKeyFile},
		{"damaged ciphertext", write("damaged.key", damaged), "pw", ErrWrongPassphrase},
		{"missing file", filepath.Join(dir, "missing.key"), "pw", fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := LoadPrivateKey(tc.path, []byte(tc.pass))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncryptEmptyPassphrase(t *testing.T) {
	k := mustGenerate(t)
	if err := k.WriteFile(filepath.Join(t.TempDir(), "k"), nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("error = %v, want ErrEmptyPassphrase", err)
	}
}

// BenchmarkKeyFileReleaseCost measures writing and reading a key file at the
// real (release) scrypt cost: N = 2^18, 256 MiB.
func BenchmarkKeyFileReleaseCost(b *testing.B) {
	k, err := Generate()
	if err != nil {
		b.Fatal(err)
	}
	defer k.Destroy()
	pass := []byte("benchmark passphrase")
	for b.Loop() {
		data, err := k.encrypt(pass, false)
		if err != nil {
			b.Fatal(err)
		}
		l, err := DecryptPrivateKey(data, pass)
		if err != nil {
			b.Fatal(err)
		}
		l.Destroy()
	}
}

// TestReleaseKeyFileCost: a release key file records opslimit 2^23 and
// memlimit 2^28, which libsodium and aead.dev/minisign both turn into
// scrypt N = 2^18, r = 8, p = 1 (256 MiB, not minisign's 1 GiB), and stock
// minisign signs with it.
func TestReleaseKeyFileCost(t *testing.T) {
	t.Parallel()
	stockSignsWith(t, false)
}

func TestGenerateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "partner.key")
	pub, err := GenerateFile(path, []byte("pass phrase"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := LoadPrivateKey(path, []byte("pass phrase"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Destroy()
	if !k.Public().Equal(pub) {
		t.Fatal("the key written is not the one whose public key was returned")
	}
	if _, err := GenerateFile(path, []byte("pass phrase")); !errors.Is(err, ErrKeyFileExists) {
		t.Fatalf("over an existing file: %v, want ErrKeyFileExists", err)
	}
	if again, err := LoadPrivateKey(path, []byte("pass phrase")); err != nil || !again.Public().Equal(pub) {
		t.Fatal("the existing key file was changed")
	}
}
