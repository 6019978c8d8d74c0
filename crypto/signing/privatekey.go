package signing

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"aead.dev/minisign"
	"github.com/awnumar/memguard"
)

// PrivateKey is a minisign private key held in a memguard locked buffer.
// It is safe for concurrent use; after [PrivateKey.Destroy] it can no longer
// sign.
type PrivateKey struct {
	mu  sync.RWMutex
	buf *memguard.LockedBuffer // holds one minisign.PrivateKey value
	pub PublicKey
}

// keySize is the size of a minisign.PrivateKey value (a key id and a 64-byte
// Ed25519 key; it contains no pointers, so it may live outside the Go heap).
const keySize = unsafe.Sizeof(minisign.PrivateKey{})

// lockKey moves k into a new locked buffer and zeroes *k.
func lockKey(k *minisign.PrivateKey) (*PrivateKey, error) {
	buf := memguard.NewBuffer(int(keySize))
	p := unsafe.Pointer(&buf.Bytes()[0]) // #nosec G103 -- minisign.PrivateKey has no pointers; alignment is checked below, so it may live in locked memory
	if uintptr(p)%unsafe.Alignof(*k) != 0 {
		buf.Destroy()
		*k = minisign.PrivateKey{}
		return nil, errors.New("signing: locked memory is not aligned for a key")
	}
	dst := (*minisign.PrivateKey)(p)
	*dst = *k
	*k = minisign.PrivateKey{}
	pub, ok := dst.Public().(minisign.PublicKey)
	if !ok {
		buf.Destroy()
		return nil, errors.New("signing: unexpected public key type")
	}
	buf.Freeze() // read-only from now on; Destroy still wipes it
	return &PrivateKey{buf: buf, pub: PublicKey{k: pub}}, nil
}

// key returns the locked key; the caller must hold k.mu.
func (k *PrivateKey) key() (*minisign.PrivateKey, error) {
	if k == nil || k.buf == nil || !k.buf.IsAlive() {
		return nil, errors.New("signing: private key has been destroyed")
	}
	return (*minisign.PrivateKey)(unsafe.Pointer(&k.buf.Bytes()[0])), nil // #nosec G103 -- see lockKey: a pointer-free value placed in locked memory
}

// Generate makes a new random minisign key pair (crypto/rand).
func Generate() (*PrivateKey, error) {
	_, k, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("signing: cannot generate key: %v", err)
	}
	return lockKey(&k)
}

// Public returns the public key.
func (k *PrivateKey) Public() PublicKey { return k.pub }

// Sign signs message and returns minisign signature text (four lines). The
// trusted comment is covered by the signature and shown by `minisign -V`; it
// must be a single line. The untrusted comment names the key id.
func (k *PrivateKey) Sign(message []byte, trustedComment string) ([]byte, error) {
	if err := checkComment(trustedComment); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	key, err := k.key()
	if err != nil {
		return nil, err
	}
	return hashedSign(*key, message, trustedComment, untrustedComment(key.ID())), nil
}

// Destroy wipes the private key from memory. It is safe to call more than
// once.
func (k *PrivateKey) Destroy() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.buf != nil {
		k.buf.Destroy()
	}
}
