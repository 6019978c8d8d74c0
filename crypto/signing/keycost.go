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

// scryptCost is the scrypt cost of a key file, in minisign's (libsodium's)
// opslimit/memlimit terms as the file records them, and the scrypt
// parameters that both libsodium and aead.dev/minisign derive from those.
type scryptCost struct {
	ops, mem uint64
	n, r, p  int
}

var (
	// releaseCost is N = 2^18, r = 8, p = 1: 256 MiB and about a second,
	// what age uses for passphrases and so for the officer's key. Stock
	// minisign writes keys at libsodium's "sensitive" level (N = 2^20,
	// 1 GiB, 7 to 13 s here), which a machine with 1 GiB of memory cannot
	// run at all; an officer's air-gapped laptop may be such a machine. The
	// file records its cost, so stock minisign reads these files as any.
	releaseCost = scryptCost{ops: 1 << 23, mem: 1 << 28, n: 1 << 18, r: 8, p: 1}
	// lowCost is for tests and the throwaway keys of refuge-server --dev
	// only: N = 2^10 (1 MiB, about a millisecond). See refuge/internal/kdfcost.
	lowCost = scryptCost{ops: 1 << 15, mem: 16 << 20, n: 1 << 10, r: 8, p: 1}
)

// encryptKeyFile writes k in minisign's encrypted secret key format, as
// minisign.EncryptKey does but at the given cost (that library fixes it at
// libsodium's "sensitive" level):
//
//	keystream  = scrypt(passphrase, salt, N, r, p, 104)
//	tag        = BLAKE2b-256("Ed" || key id || Ed25519 key)
//	ciphertext = (key id || Ed25519 key || tag) XOR keystream
//
// Tests check that aead.dev/minisign and stock minisign read these files at
// both costs.
func encryptKeyFile(passphrase []byte, k *minisign.PrivateKey, cost scryptCost) ([]byte, error) {
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
	binary.LittleEndian.PutUint64(b[38:], cost.ops)
	binary.LittleEndian.PutUint64(b[46:], cost.mem)

	secret := b[54:126] // key id || Ed25519 key
	msg := memguard.NewBuffer(2 + len(secret))
	defer msg.Destroy()
	binary.LittleEndian.PutUint16(msg.Bytes(), algEd25519)
	copy(msg.Bytes()[2:], secret)
	tag := blake2b.Sum256(msg.Bytes())
	copy(b[126:], tag[:])
	clear(tag[:])

	stream, err := scrypt.Key(passphrase, salt, cost.n, cost.r, cost.p, skSize-54)
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
