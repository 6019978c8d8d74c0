// Package manifest implements Refuge's key manifest: the signed document that
// tells clients which officer recipients to encrypt to, which partner keys to
// trust, and which key signs acknowledgements.
//
// A manifest is two files: manifest.json and its detached minisign signature
// manifest.json.minisig, made with the IRCC root key (see refuge/crypto/signing).
// Stock minisign verifies it:
//
//	minisign -Vm manifest.json -P RW…
//
// # Guarantees
//
// [Verify] pins the root public key and accepts a manifest only if all of
// these hold, each failure being a distinct error ([ErrTooLarge],
// [ErrBadSignature] / [ErrWrongKey], [ErrMalformed], [ErrExpired],
// [ErrNoRecipients], [ErrNotPostQuantum], [ErrRollback]):
//
//   - it is at most [MaxSize] bytes and its signature verifies with the
//     pinned root key (checked before the JSON is parsed);
//   - it is strict JSON of format "refuge-manifest-v1": no unknown or
//     duplicate fields, no trailing data, version ≥ 1, expiry YYYY-MM-DD,
//     partner names [a-z0-9-]{1,32} and unique, keys that parse;
//   - it has not expired: it is valid through the end of its expiry day (UTC);
//   - it lists at least one recipient and every recipient is a post-quantum
//     age recipient (age1pq1…, MLKEM768-X25519);
//   - its version is not lower than the highest version already seen for this
//     root key, as recorded in a [SeenStore] (which Verify then raises).
//
// The format is documented in docs/manifest.md.
package manifest

import (
	"errors"
	"fmt"
	"time"

	"filippo.io/age"

	"refuge/crypto/signing"
)

const (
	// Format is the value of the "format" field.
	Format = "refuge-manifest-v1"
	// MaxSize is the largest manifest.json accepted, in bytes.
	MaxSize = 64 << 10
	// FileName and SignatureFileName are the conventional file names.
	FileName          = "manifest.json"
	SignatureFileName = "manifest.json.minisig"
	// DateLayout is the layout of the "expires" field (a UTC day).
	DateLayout = "2006-01-02"
)

// Manifest is the content of manifest.json. Build one and pass it to [Sign];
// [Parse] and [Verify] return one that passed every check.
type Manifest struct {
	Format     string    `json:"format"`            // always Format
	Version    uint64    `json:"version"`           // 1 to 2^53-1; never decreases
	Expires    string    `json:"expires"`           // YYYY-MM-DD, valid through the end of that UTC day
	Recipients []string  `json:"recipients"`        // officers' age1pq1… recipients
	Partners   []Partner `json:"partners"`          // partners' signing keys (may be empty)
	AckKey     string    `json:"ack_key,omitempty"` // acknowledgement signing key ("RW…"), or empty
}

// Partner is a referring organisation and its minisign public key.
type Partner struct {
	Name string `json:"name"` // [a-z0-9-]{1,32}, unique in the manifest
	Key  string `json:"key"`  // minisign public key, "RW…"
}

var (
	// ErrTooLarge means manifest.json is larger than MaxSize.
	ErrTooLarge = fmt.Errorf("manifest is larger than %d KiB", MaxSize>>10)
	// ErrBadSignature means the signature does not verify with the pinned
	// root key: the manifest or its signature was altered, or forged.
	ErrBadSignature = errors.New("manifest signature is not valid for the pinned root key")
	// ErrWrongKey means the manifest was signed by another key than the
	// pinned root key. Errors wrapping it also wrap ErrBadSignature.
	ErrWrongKey = errors.New("manifest was signed by a different key than the pinned root key")
	// ErrMalformed means manifest.json is not a well-formed manifest.
	ErrMalformed = errors.New("malformed key manifest")
	// ErrExpired means the manifest's expiry day has passed.
	ErrExpired = errors.New("key manifest has expired")
	// ErrNoRecipients means the manifest lists no recipients.
	ErrNoRecipients = errors.New("key manifest lists no recipients")
	// ErrNotPostQuantum means a recipient is not a post-quantum age
	// recipient (age1pq1…), for example a classic X25519 age1… recipient.
	ErrNotPostQuantum = errors.New("key manifest lists a recipient that is not post-quantum (age1pq1…)")
	// ErrRollback means the manifest's version is lower than one already
	// seen for the same root key. The error is a *RollbackError.
	ErrRollback = errors.New("key manifest is older than one already seen (rollback)")
)

// RollbackError reports a manifest older than the newest one seen.
type RollbackError struct {
	Version uint64 // version of the rejected manifest
	Highest uint64 // highest version seen before for this root key
}

// Error names both versions.
func (e *RollbackError) Error() string {
	return fmt.Sprintf("%v: version %d is lower than version %d seen before", ErrRollback, e.Version, e.Highest)
}

// Is makes errors.Is(err, ErrRollback) true.
func (e *RollbackError) Is(target error) bool { return target == ErrRollback }

// malformed returns an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// ExpiresAt returns the first instant at which m is expired: midnight UTC
// after its expiry day.
func (m *Manifest) ExpiresAt() (time.Time, error) {
	d, err := time.Parse(DateLayout, m.Expires)
	if err != nil || d.Format(DateLayout) != m.Expires {
		return time.Time{}, malformed("expires is not a YYYY-MM-DD date")
	}
	return d.AddDate(0, 0, 1), nil
}

// Expired reports whether m has expired at now (or has no valid date).
func (m *Manifest) Expired(now time.Time) bool {
	end, err := m.ExpiresAt()
	return err != nil || !now.Before(end)
}

// AgeRecipients returns the recipients as age recipients, ready for
// age.Encrypt. All are *age.HybridRecipient.
func (m *Manifest) AgeRecipients() ([]age.Recipient, error) {
	out := make([]age.Recipient, 0, len(m.Recipients))
	for i, s := range m.Recipients {
		r, err := parseRecipient(i, s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// PartnerKey returns the signing key of the named partner.
func (m *Manifest) PartnerKey(name string) (signing.PublicKey, bool) {
	for _, p := range m.Partners {
		if p.Name == name {
			k, err := signing.ParsePublicKey(p.Key)
			return k, err == nil
		}
	}
	return signing.PublicKey{}, false
}

// AckPublicKey returns the acknowledgement key, or false if there is none.
func (m *Manifest) AckPublicKey() (signing.PublicKey, bool) {
	if m.AckKey == "" {
		return signing.PublicKey{}, false
	}
	k, err := signing.ParsePublicKey(m.AckKey)
	return k, err == nil
}
