package receipt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"filippo.io/age"
	"github.com/awnumar/memguard"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/hkdf"

	"refuge/crypto/internal/bech32"
	"refuge/internal/kdfcost"
)

// Argon2id parameters of the receipt KDF (the real, release cost).
const (
	kdfSalt    = "refuge-receipt-v1"
	kdfThreads = 4
	kdfKeyLen  = 32

	infoSubmissionID = "refuge submission id"
	infoAccessToken  = "refuge access token"
	infoReplyIdent   = "refuge reply identity"

	// SubmissionIDLen is the length of a submission id in bytes; it is
	// shown as twice as many lowercase hex characters.
	SubmissionIDLen = 16
	// TokenLen is the length of the access token in bytes.
	TokenLen = 32
	seedLen  = 32
)

// kdfCost is the adjustable part of the Argon2id parameters.
type kdfCost struct {
	time   uint32
	memory uint32 // KiB
}

var (
	// releaseCost is the real cost: time 3, 64 MiB.
	releaseCost = kdfCost{time: 3, memory: 64 * 1024}
	// testCost is used only when refuge/internal/kdfcost says so (tests).
	testCost = kdfCost{time: 1, memory: 64}
)

// currentCost returns the cost Derive uses: always releaseCost outside tests.
func currentCost() kdfCost {
	if kdfcost.Low() {
		return testCost
	}
	return releaseCost
}

// Keys are the values derived from a receipt phrase.
type Keys struct {
	submissionID string
	token        *memguard.Enclave
	identity     *age.HybridIdentity
}

// SubmissionID returns the submission id: 32 lowercase hex characters. It is
// not secret; the server uses it to look the submission up.
func (k *Keys) SubmissionID() string { return k.submissionID }

// Token returns the 32-byte access token in a locked buffer that the caller
// must Destroy. The server knows only [Verifier] of it.
func (k *Keys) Token() (*memguard.LockedBuffer, error) {
	buf, err := k.token.Open()
	if err != nil {
		return nil, fmt.Errorf("receipt: cannot open token enclave: %v", err)
	}
	return buf, nil
}

// Identity returns the reply identity, which decrypts replies sent to
// [Keys.Recipient]. It lives on the Go heap (age offers no other form).
func (k *Keys) Identity() *age.HybridIdentity { return k.identity }

// Recipient returns the reply recipient (age1pq1…), to which officers
// encrypt replies.
func (k *Keys) Recipient() *age.HybridRecipient { return k.identity.Recipient() }

// Verifier returns SHA-256(token): the only form in which the server stores
// or compares an access token.
func Verifier(token []byte) [32]byte { return sha256.Sum256(token) }

// Derive computes the submission id, access token and reply identity of a
// phrase. At release cost it takes about 0.1 s on 2 cores and 64 MiB of
// memory.
func Derive(p *Phrase) (*Keys, error) {
	return deriveWith(p, currentCost())
}

func deriveWith(p *Phrase, cost kdfCost) (*Keys, error) {
	text, err := p.Text()
	if err != nil {
		return nil, err
	}
	warmHeap(int(cost.memory) << 10)
	raw := argon2.IDKey(text.Bytes(), []byte(kdfSalt), cost.time, cost.memory, kdfThreads, kdfKeyLen)
	text.Destroy()
	// Argon2's 64 MiB of phrase-derived blocks are garbage now: collect
	// them and return them to the operating system, which discards their
	// contents. Otherwise the collector lets the heap grow to twice that
	// before it runs, and a long upload after Derive slowly fills it
	// (refuge submit's peak RSS grew from 85 MiB at 1 GiB to 109 MiB at 4 GiB).
	debug.FreeOSMemory()
	prk := memguard.NewBufferFromBytes(raw) // wipes raw
	defer prk.Destroy()

	idBuf, err := expand(prk.Bytes(), infoSubmissionID, SubmissionIDLen)
	if err != nil {
		return nil, err
	}
	id := hex.EncodeToString(idBuf.Bytes())
	idBuf.Destroy()

	tok, err := expand(prk.Bytes(), infoAccessToken, TokenLen)
	if err != nil {
		return nil, err
	}

	seed, err := expand(prk.Bytes(), infoReplyIdent, seedLen)
	if err != nil {
		tok.Destroy()
		return nil, err
	}
	ident, err := identityFromSeed(seed.Bytes())
	seed.Destroy()
	if err != nil {
		tok.Destroy()
		return nil, err
	}
	return &Keys{submissionID: id, token: tok.Seal(), identity: ident}, nil
}

// expand reads n bytes of HKDF-SHA256-Expand(prk, info) into a locked buffer.
func expand(prk []byte, info string, n int) (*memguard.LockedBuffer, error) {
	buf := memguard.NewBuffer(n)
	if _, err := io.ReadFull(hkdf.Expand(sha256.New, prk, []byte(info)), buf.Bytes()); err != nil {
		buf.Destroy()
		return nil, fmt.Errorf("receipt: key expansion failed: %v", err)
	}
	return buf, nil
}

// identityFromSeed makes the age MLKEM768-X25519 identity whose 32-byte
// secret key is seed, through its standard "AGE-SECRET-KEY-PQ-1…" encoding
// (the one constructor age offers). The encoded string stays on the heap.
func identityFromSeed(seed []byte) (*age.HybridIdentity, error) {
	s, err := bech32.Encode("AGE-SECRET-KEY-PQ-", seed)
	if err != nil {
		return nil, fmt.Errorf("receipt: cannot encode reply identity: %v", err)
	}
	id, err := age.ParseHybridIdentity(strings.ToUpper(s))
	if err != nil {
		return nil, fmt.Errorf("receipt: cannot make reply identity: %v", err)
	}
	return id, nil
}

// warmHeap leaves n bytes of memory the process has already written free
// in the Go heap, for Argon2's allocation of its blocks to reuse (the
// runtime clears it again; nothing of it is secret).
//
// Argon2 reads each block of a first pass before it writes it. In memory
// never written, the read maps the kernel's shared zero page, and the write
// then copies that page and flushes the TLB of every CPU the process runs
// on: an interprocessor interrupt for every 4 KiB. A first write instead
// gets a page of its own at once. On the 2-core VM of docs/BENCHMARKS.md,
// Argon2id with 64 MiB took 330 ms alone and 90 ms after this, which takes
// 40 ms; the system time went from 0.45 to 0.05 s. The peak memory does not
// change: this buffer is freed before Argon2 allocates.
func warmHeap(n int) {
	b := make([]byte, n)
	for i := 0; i < len(b); i += os.Getpagesize() {
		b[i] = 1
	}
	runtime.KeepAlive(b) // b is dead from here on: the collection frees it
	runtime.GC()
}
