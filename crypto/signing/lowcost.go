package signing

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"aead.dev/minisign"
	"github.com/awnumar/memguard"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/scrypt"
)

// Low-cost scrypt parameters for key files written by tests, in minisign's
// (libsodium's) opslimit/memlimit terms, and the scrypt parameters that both
// libsodium and aead.dev/minisign derive from them: N = 2^10, r = 8, p = 1
// (1 MiB, about a millisecond). Release builds never use them: see
// refuge/internal/kdfcost.
const (
	lowOpsLimit = 1 << 15
	lowMemLimit = 16 << 20
	lowN        = 1 << 10
	lowR        = 8
	lowP        = 1
)

// encryptLowCost writes k in minisign's encrypted secret key format, like
// minisign.EncryptKey but at test cost (that library fixes the cost at
// libsodium's "sensitive" level, 1 GiB of scrypt memory):
//
//	keystream  = scrypt(passphrase, salt, N, r, p, 104)
//	tag        = BLAKE2b-256("Ed" || key id || Ed25519 key)
//	ciphertext = (key id || Ed25519 key || tag) XOR keystream
//
// Tests check that aead.dev/minisign and stock minisign read these files.
func encryptLowCost(passphrase []byte, k *minisign.PrivateKey) ([]byte, error) {
	plain, err := k.MarshalText() // unencrypted form: same layout, zero salt/params/tag
	if err != nil {
		return nil, fmt.Errorf("signing: cannot encode key: %v", err)
	}
	const comment = "untrusted comment: minisign encrypted secret key\n"
	enc := plain[len(comment):]
	raw := memguard.NewBuffer(skSize)
	defer raw.Destroy()
	b := raw.Bytes()
	n, err := base64.StdEncoding.Decode(b, enc)
	memguard.WipeBytes(plain)
	if err != nil || n != skSize {
		return nil, fmt.Errorf("signing: unexpected unencrypted key encoding")
	}

	binary.LittleEndian.PutUint16(b[2:], kdfScrypt)
	salt := b[6:38]
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("signing: cannot read random bytes: %v", err)
	}
	binary.LittleEndian.PutUint64(b[38:], lowOpsLimit)
	binary.LittleEndian.PutUint64(b[46:], lowMemLimit)

	secret := b[54:126] // key id || Ed25519 key
	msg := memguard.NewBuffer(2 + len(secret))
	defer msg.Destroy()
	binary.LittleEndian.PutUint16(msg.Bytes(), algEd25519)
	copy(msg.Bytes()[2:], secret)
	tag := blake2b.Sum256(msg.Bytes())
	copy(b[126:], tag[:])
	clear(tag[:])

	stream, err := scrypt.Key(passphrase, salt, lowN, lowR, lowP, skSize-54)
	if err != nil {
		return nil, fmt.Errorf("signing: scrypt failed: %v", err)
	}
	for i := range stream {
		b[54+i] ^= stream[i]
	}
	memguard.WipeBytes(stream)

	out := make([]byte, len(comment)+base64.StdEncoding.EncodedLen(skSize))
	copy(out, comment)
	base64.StdEncoding.Encode(out[len(comment):], b)
	return out, nil
}
