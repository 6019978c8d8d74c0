package signing

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"
	"unsafe"

	"aead.dev/minisign"

	"refuge/internal/kdfcost"
	"refuge/internal/noreplace"
)

// maxKeyFileSize bounds what LoadPrivateKey reads: a minisign secret key
// file is well under 512 bytes.
const maxKeyFileSize = 4096

var (
	// ErrKeyFileExists means WriteFile found a file at the path; key files
	// are never overwritten.
	ErrKeyFileExists = fmt.Errorf("key file already exists; refusing to overwrite it: %w", fs.ErrExist)
	// ErrWrongPassphrase means a key file did not decrypt: the passphrase is
	// wrong (or the encrypted key was altered).
	ErrWrongPassphrase = errors.New("wrong passphrase for the key file (or the key file is damaged)")
	// ErrNotKeyFile means the data is not a minisign secret key file.
	ErrNotKeyFile = errors.New("not a minisign secret key file")
	// ErrNotEncrypted means a minisign secret key file has no passphrase;
	// Refuge refuses unencrypted private keys.
	ErrNotEncrypted = errors.New("minisign secret key file is not passphrase-protected; refusing it")
	// ErrEmptyPassphrase means an empty passphrase was given.
	ErrEmptyPassphrase = errors.New("empty passphrase refused")
)

// Minisign secret key file layout (after base64 decoding).
const (
	skSize      = 158
	algEd25519  = 0x6445 // "Ed"
	kdfNone     = 0x0000
	kdfScrypt   = 0x6353 // "Sc"
	hashBlake2b = 0x3242 // "B2"
)

// Encrypt returns the key in minisign's passphrase-encrypted secret key
// format, as `minisign -G` writes it but at a quarter of its scrypt memory
// (256 MiB; see releaseCost).
func (k *PrivateKey) Encrypt(passphrase []byte) ([]byte, error) {
	return k.encrypt(passphrase, kdfcost.Low())
}

func (k *PrivateKey) encrypt(passphrase []byte, low bool) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	key, err := k.key()
	if err != nil {
		return nil, err
	}
	cost := releaseCost
	if low {
		cost = lowCost
	}
	out, err := encryptKeyFile(passphrase, key, cost)
	releaseScryptMemory()
	return out, err
}

// WriteFile writes the passphrase-encrypted key to a new file of mode
// 0600 (noreplace.WriteFile: it appears at path only complete and durable).
// It fails with [ErrKeyFileExists] if anything exists at path, and leaves
// no partial file behind on other failures.
func (k *PrivateKey) WriteFile(path string, passphrase []byte) error {
	return k.writeFile(context.Background(), path, passphrase, kdfcost.Low())
}

// WriteDemoFile is WriteFile at a deliberately weak scrypt cost (1 MiB, about
// a millisecond), still in minisign's format, which records its own cost,
// so it loads quickly everywhere. It exists for the throwaway keys of
// `refuge-server --dev` only: a key written this way falls to a passphrase
// search quickly and must never protect a real deployment.
func (k *PrivateKey) WriteDemoFile(path string, passphrase []byte) error {
	return k.writeFile(context.Background(), path, passphrase, true)
}

// writeFile derives the key file's encryption key while the file is being
// written (noreplace.WriteNew), so that it stops, with nothing written, at
// the first write after ctx ended.
func (k *PrivateKey) writeFile(ctx context.Context, path string, passphrase []byte, lowCost bool) error {
	if len(passphrase) == 0 {
		return ErrEmptyPassphrase
	}
	err := noreplace.WriteNew(ctx, path, 0o600, func(w io.Writer) error {
		data, err := k.encrypt(passphrase, lowCost)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, noreplace.ErrExists):
		return ErrKeyFileExists
	case context.Cause(ctx) != nil:
		return err
	}
	return fmt.Errorf("cannot write key file: %w", err)
}

// GenerateFile makes a new key, writes it to the new file path encrypted
// with passphrase (as WriteFile: mode 0600, ErrKeyFileExists if the path
// is taken), and returns its public key. The private key never leaves
// this function.
func GenerateFile(path string, passphrase []byte) (PublicKey, error) {
	return GenerateFileContext(context.Background(), path, passphrase)
}

// GenerateFileContext is GenerateFile that stops when ctx ends (Ctrl-C
// under secrets.Interruptible): once the key derivation under way is
// done, nothing is written and the error is ctx's cause
// ([context.Cause]).
func GenerateFileContext(ctx context.Context, path string, passphrase []byte) (PublicKey, error) {
	k, err := Generate()
	if err != nil {
		return PublicKey{}, err
	}
	defer k.Destroy()
	if err := k.writeFile(ctx, path, passphrase, kdfcost.Low()); err != nil {
		return PublicKey{}, err
	}
	return k.Public(), nil
}

// LoadPrivateKey reads and decrypts a minisign secret key file (one written
// by [PrivateKey.WriteFile] or by stock `minisign -G`).
func LoadPrivateKey(path string, passphrase []byte) (*PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open key file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read key file: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: file too large", ErrNotKeyFile)
	}
	return DecryptPrivateKey(data, passphrase)
}

// DecryptPrivateKey decrypts minisign secret key file content. Errors are
// [ErrNotKeyFile], [ErrNotEncrypted], [ErrEmptyPassphrase] or
// [ErrWrongPassphrase].
func DecryptPrivateKey(data, passphrase []byte) (*PrivateKey, error) {
	if err := checkKeyFile(data); err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	k, err := minisign.DecryptKey(aliasString(passphrase), data)
	releaseScryptMemory()
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return lockKey(&k)
}

// checkKeyFile tells a file that is not a key, or not encrypted, from one
// that needs a passphrase. It reads only the unencrypted header.
func checkKeyFile(data []byte) error {
	text := strings.TrimSpace(string(data))
	if first, rest, ok := strings.Cut(text, "\n"); ok {
		if !strings.HasPrefix(first, "untrusted comment:") {
			return ErrNotKeyFile
		}
		text = strings.TrimSpace(rest)
	}
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(b) != skSize {
		return ErrNotKeyFile
	}
	if binary.LittleEndian.Uint16(b[0:]) != algEd25519 || binary.LittleEndian.Uint16(b[4:]) != hashBlake2b {
		return ErrNotKeyFile
	}
	switch binary.LittleEndian.Uint16(b[2:]) {
	case kdfScrypt:
		return nil
	case kdfNone:
		return ErrNotEncrypted
	default:
		return ErrNotKeyFile
	}
}

// aliasString views b as a string without copying it, so that handing a
// passphrase to aead.dev/minisign (which takes a string) makes no extra
// copy on the heap. The string must not outlive b; minisign does not keep it.
func aliasString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) // #nosec G103 -- a read-only view of the passphrase that avoids a heap copy; it does not outlive b
}

// releaseScryptMemory collects the garbage scrypt left behind (up to 1 GiB of
// passphrase-derived working memory) and returns it to the operating system,
// which discards its contents. This keeps the process from holding that
// memory, and lowers the peak when several key files are handled in a row.
func releaseScryptMemory() {
	debug.FreeOSMemory()
}
