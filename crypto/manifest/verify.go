package manifest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"refuge/crypto/signing"
)

// Verify checks a manifest against the pinned root public key and returns
// it; see the package documentation for every check. now is the current
// time (expiry is judged in UTC days). seen records the highest version seen
// per root key: Verify refuses an older manifest with a *[RollbackError] and,
// on success, raises the recorded version. A nil seen skips the rollback
// check; only a server that keeps its own ordering may pass nil — a client
// must not.
func Verify(manifestJSON, signature []byte, root signing.PublicKey, now time.Time, seen *SeenStore) (*Manifest, error) {
	if len(manifestJSON) > MaxSize {
		return nil, ErrTooLarge
	}
	if root.IsZero() {
		return nil, errors.New("no pinned root key to verify the manifest with")
	}
	if _, err := root.Verify(manifestJSON, signature); err != nil {
		return nil, signatureError(err)
	}
	m, err := Parse(manifestJSON)
	if err != nil {
		return nil, err
	}
	if m.Expired(now) {
		return nil, fmt.Errorf("%w: it was valid through %s (UTC)", ErrExpired, m.Expires)
	}
	if seen == nil {
		return m, nil
	}
	if err := seen.accept(root, m.Version); err != nil {
		return nil, err
	}
	return m, nil
}

// signatureError maps an error of signing.PublicKey.Verify to ours.
func signatureError(err error) error {
	switch {
	case errors.Is(err, signing.ErrWrongKey):
		return &wrongKeyError{detail: strings.TrimPrefix(err.Error(), signing.ErrWrongKey.Error()+": ")}
	case errors.Is(err, signing.ErrMalformedSignature):
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	default:
		return ErrBadSignature
	}
}

// wrongKeyError is ErrWrongKey (and ErrBadSignature) with the key ids.
type wrongKeyError struct{ detail string }

func (e *wrongKeyError) Error() string { return ErrWrongKey.Error() + " (" + e.detail + ")" }

func (e *wrongKeyError) Unwrap() []error { return []error{ErrWrongKey, ErrBadSignature} }
