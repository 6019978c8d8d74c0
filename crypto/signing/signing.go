// Package signing holds Refuge's signing keys: the root key that signs the
// key manifest, the acknowledgement key and partner keys. All are minisign
// keys (Ed25519), handled through aead.dev/minisign, so that stock minisign
// can verify every signature and use every key file:
//
//	minisign -Vm FILE -P RW…         verifies a signature made by [PrivateKey.Sign]
//	minisign -Sm FILE -s KEYFILE     signs with a key file written by [PrivateKey.WriteFile]
//
// # Guarantees
//
//   - Public keys are minisign's base64 strings ("RW…").
//   - Signatures are minisign's pre-hashed (BLAKE2b-512) Ed25519 signatures
//     with a trusted comment that the signature covers.
//   - Private key files use minisign's own passphrase-encrypted format
//     (scrypt N = 2^18: 256 MiB and about a second, as age uses for
//     passphrases; stock minisign's own is 1 GiB), have mode 0600, appear
//     at their name only complete and durable and never over an existing
//     file (internal/noreplace.WriteFile).
//     Unencrypted key files are refused.
//
// # Memory hygiene, and what it cannot cover
//
// A loaded or generated [PrivateKey] lives in a memguard locked buffer
// (mlocked, guard pages, wiped by [PrivateKey.Destroy]). aead.dev/minisign
// works on ordinary Go values, so some copies escape our control and stay in
// memory until the garbage collector or the goroutine stack reuses it:
//
//   - generation: ed25519.GenerateKey's 64-byte key slice on the heap;
//   - loading: the library's decrypted key buffer and scrypt keystream on the
//     heap, and one heap copy of the passphrase (the library takes a string
//     and converts it to bytes for scrypt). scrypt's working memory
//     is returned to the operating system right after (debug.FreeOSMemory);
//   - writing: the same passphrase copy, and the library's plaintext buffer;
//   - signing: a by-value copy of the key on the goroutine stack, and
//     Ed25519's expanded secret scalar.
//
// The passphrase itself is passed in by the caller (typically the Bytes of a
// memguard buffer) and is never retained.
//
// Tests may lower the scrypt cost of key files they write with
// refuge/internal/kdfcost; a release build always writes full-cost files.
package signing

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"aead.dev/minisign"
)

// MaxSignatureSize bounds the size of a signature text that Verify accepts.
const MaxSignatureSize = 4096

var (
	// ErrBadSignature means the signature does not verify for this message
	// and public key (the message or signature was altered, or forged).
	ErrBadSignature = errors.New("signature verification failed: the message or its signature was altered")
	// ErrWrongKey means the signature was made by a different key than the
	// one expected.
	ErrWrongKey = errors.New("signature was made by a different key")
	// ErrMalformedSignature means the signature is not minisign signature text.
	ErrMalformedSignature = errors.New("malformed minisign signature")
	// ErrMalformedPublicKey means a string is not a minisign public key.
	ErrMalformedPublicKey = errors.New("malformed minisign public key")
)

// PublicKey is a minisign public key. The zero value is not a valid key.
type PublicKey struct {
	k minisign.PublicKey
}

// ParsePublicKey parses a minisign public key: the base64 string ("RW…"),
// or the two-line content of a minisign .pub file.
func ParsePublicKey(s string) (PublicKey, error) {
	s = strings.TrimSpace(s)
	if len(s) > 1024 {
		return PublicKey{}, fmt.Errorf("%w: too long", ErrMalformedPublicKey)
	}
	var k minisign.PublicKey
	if err := k.UnmarshalText([]byte(s)); err != nil {
		return PublicKey{}, fmt.Errorf("%w: %s", ErrMalformedPublicKey, strings.TrimPrefix(err.Error(), "minisign: "))
	}
	// Refuse trailing garbage: the key must re-encode to the same text.
	if line := lastLine(s); line != k.String() {
		return PublicKey{}, fmt.Errorf("%w: not in canonical form", ErrMalformedPublicKey)
	}
	return PublicKey{k: k}, nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}

// String returns the public key as minisign's base64 string ("RW…"), the
// form given to `minisign -P`.
func (p PublicKey) String() string { return p.k.String() }

// KeyID returns the key id as minisign prints it (16 uppercase hex digits).
func (p PublicKey) KeyID() string { return keyID(p.k.ID()) }

func keyID(id uint64) string {
	return fmt.Sprintf("%016X", id)
}

// MarshalText returns the base64 string, so that a PublicKey is a JSON string.
func (p PublicKey) MarshalText() ([]byte, error) {
	if p.IsZero() {
		return nil, errors.New("signing: cannot encode the zero public key")
	}
	return []byte(p.String()), nil
}

// UnmarshalText parses a key as [ParsePublicKey] does.
func (p *PublicKey) UnmarshalText(text []byte) error {
	k, err := ParsePublicKey(string(text))
	if err != nil {
		return err
	}
	*p = k
	return nil
}

// Equal reports whether p and q are the same key.
func (p PublicKey) Equal(q PublicKey) bool { return p.k.Equal(q.k) }

// IsZero reports whether p is the zero PublicKey (no key).
func (p PublicKey) IsZero() bool { return p.k.Equal(minisign.PublicKey{}) }

// PubFile returns the content of a minisign public key file (`minisign -p
// FILE`): an untrusted comment line and the base64 key.
func (p PublicKey) PubFile() []byte {
	return []byte("untrusted comment: minisign public key " + p.KeyID() + "\n" + p.String() + "\n")
}

// Verify checks a minisign signature of message and returns its trusted
// comment. It fails with [ErrMalformedSignature], [ErrWrongKey] (wrapped,
// naming both key ids) or [ErrBadSignature].
func (p PublicKey) Verify(message, signature []byte) (trustedComment string, err error) {
	if p.IsZero() {
		return "", errors.New("signing: no public key to verify with")
	}
	if len(signature) > MaxSignatureSize {
		return "", fmt.Errorf("%w: larger than %d bytes", ErrMalformedSignature, MaxSignatureSize)
	}
	var s minisign.Signature
	if err := s.UnmarshalText(signature); err != nil {
		return "", fmt.Errorf("%w: %s", ErrMalformedSignature, strings.TrimPrefix(err.Error(), "minisign: "))
	}
	if s.KeyID != p.k.ID() {
		return "", fmt.Errorf("%w: signed by key %s, expected key %s", ErrWrongKey, keyID(s.KeyID), p.KeyID())
	}
	if !minisign.Verify(p.k, message, signature) {
		return "", ErrBadSignature
	}
	return s.TrustedComment, nil
}

// checkComment refuses comments that would break the signature text.
func checkComment(c string) error {
	if strings.ContainsAny(c, "\r\n") {
		return errors.New("signing: a comment must be a single line")
	}
	if len(c) > 1024 {
		return errors.New("signing: comment longer than 1024 bytes")
	}
	return nil
}

// hashedSign signs message in minisign's pre-hashed mode, the default of
// stock minisign since 0.10.
func hashedSign(k minisign.PrivateKey, message []byte, trusted, untrusted string) []byte {
	r := minisign.NewReader(bytes.NewReader(message))
	io.Copy(io.Discard, r) // reading a bytes.Reader cannot fail
	return r.SignWithComments(k, trusted, untrusted)
}

func untrustedComment(id uint64) string {
	return "signature from refuge key " + keyID(id)
}
