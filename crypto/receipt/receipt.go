// Package receipt implements Refuge's receipt phrases.
//
// A receipt phrase is the only thing a defender keeps after a submission: 12
// words from the BIP39 English wordlist, encoding 128 random bits and a 4-bit
// checksum exactly as BIP39 does. From it, [Derive] computes (with Argon2id,
// then HKDF-SHA256) the submission id, the access token that authorises status
// and reply reads, and the age post-quantum reply identity. The server learns
// only the submission id and [Verifier] of the token.
//
// # Guarantees
//
//   - [Generate] uses crypto/rand (through memguard); phrases carry 128 bits.
//   - [Parse] accepts any letter case, any whitespace and punctuation between
//     words, words numbered 1 to 12 in order, and each word's unique 4-letter
//     prefix; it verifies the BIP39 checksum. Its error messages name the
//     position of a bad word but never contain the phrase or any part of it;
//     a [*WordError] carries the one unknown word, to show to the person
//     who typed it.
//   - The derivation is fixed (see docs/receipt.md and testdata/kat.json):
//     Argon2id(password = the 12 full lowercase words joined by single spaces,
//     salt = "refuge-receipt-v1", time = 3, memory = 64 MiB, threads = 4,
//     32 bytes), then HKDF-SHA256 Expand with info "refuge submission id"
//     (16 bytes), "refuge access token" (32 bytes) and "refuge reply identity"
//     (the 32-byte seed of an age MLKEM768-X25519 identity).
//
// # Memory hygiene
//
// The phrase's entropy, its text, the Argon2id output and the access token
// live in memguard enclaves and locked buffers and are wiped after use. What
// remains on the ordinary Go heap (not wiped, until the garbage collector
// reuses the memory): the Argon2id working memory (64 MiB derived from the
// phrase), the intermediate byte slices of HKDF, and the age reply identity —
// age keeps [age.HybridIdentity] and its bech32 string form on the heap, and
// offers no way to wipe them. The submission id and verifier are not secret.
//
// Tests may lower the Argon2id cost with refuge/internal/kdfcost; a release
// build always uses the full cost.
package receipt

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/awnumar/memguard"
)

// Phrase is a receipt phrase held in a memguard enclave (its 128 bits of
// entropy; the words are recomputed on demand). The zero value is not
// usable; make a Phrase with [Generate] or [Parse].
type Phrase struct {
	entropy *memguard.Enclave // entropyBytes bytes
}

// String returns a fixed placeholder, so that printing a Phrase by mistake
// never reveals it. Use [Phrase.Text] to show the words.
func (p *Phrase) String() string { return "receipt.Phrase(redacted)" }

// Generate returns a new random receipt phrase (128 bits from crypto/rand).
func Generate() (*Phrase, error) {
	buf := memguard.NewBuffer(entropyBytes)
	if _, err := rand.Read(buf.Bytes()); err != nil {
		buf.Destroy()
		return nil, fmt.Errorf("receipt: cannot read random bytes: %v", err)
	}
	return &Phrase{entropy: buf.Seal()}, nil
}

// Text returns the phrase as 12 lowercase words separated by single spaces,
// in a locked buffer that the caller must Destroy after showing it.
func (p *Phrase) Text() (*memguard.LockedBuffer, error) {
	ent, err := p.open()
	if err != nil {
		return nil, err
	}
	defer ent.Destroy()

	var idx [phraseWords]int
	defer clear(idx[:])
	indices(ent.Bytes(), &idx)

	words := wordlist()
	n := phraseWords - 1
	for _, i := range idx {
		n += len(words[i])
	}
	out := memguard.NewBuffer(n)
	b := out.Bytes()
	off := 0
	for k, i := range idx {
		if k > 0 {
			b[off] = ' '
			off++
		}
		off += copy(b[off:], words[i])
	}
	return out, nil
}

// open returns the entropy in a locked buffer the caller must Destroy.
func (p *Phrase) open() (*memguard.LockedBuffer, error) {
	if p == nil || p.entropy == nil {
		return nil, errors.New("receipt: empty phrase")
	}
	buf, err := p.entropy.Open()
	if err != nil {
		return nil, fmt.Errorf("receipt: cannot open phrase enclave: %v", err)
	}
	return buf, nil
}

// indices splits entropy plus its BIP39 checksum into 12 word indices.
func indices(entropy []byte, idx *[phraseWords]int) {
	sum := sha256.Sum256(entropy)
	defer clear(sum[:])
	// 132 bits: entropy followed by the top checksumBits of the digest.
	bit := func(i int) int {
		if i < entropyBytes*8 {
			return int(entropy[i/8]>>(7-i%8)) & 1
		}
		i -= entropyBytes * 8
		return int(sum[0]>>(7-i)) & 1
	}
	for w := range phraseWords {
		v := 0
		for b := range bitsPerWord {
			v = v<<1 | bit(w*bitsPerWord+b)
		}
		idx[w] = v
	}
}
