package manifest

import (
	"encoding/json"
	"fmt"
	"time"

	"refuge/crypto/signing"
)

// Sign encodes m as manifest.json (setting m.Format if empty) and signs it
// with the root key. It refuses a manifest that [Parse] would refuse or that
// has already expired at now, so that it never produces a manifest clients
// would reject. The trusted comment of the signature repeats the format,
// version and expiry, for people who verify with stock minisign.
func Sign(m Manifest, root *signing.PrivateKey, now time.Time) (manifestJSON, signature []byte, err error) {
	if m.Format == "" {
		m.Format = Format
	}
	if m.Partners == nil {
		m.Partners = []Partner{}
	}
	if err := m.validate(); err != nil {
		return nil, nil, err
	}
	if m.Expired(now) {
		return nil, nil, fmt.Errorf("%w: expiry %s is already past", ErrExpired, m.Expires)
	}
	b, err := jsonMarshal(m)
	if err != nil {
		return nil, nil, err
	}
	if _, err := Parse(b); err != nil { // the encoding is what clients will parse
		return nil, nil, err
	}
	comment := fmt.Sprintf("%s version:%d expires:%s", Format, m.Version, m.Expires)
	sig, err := root.Sign(b, comment)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot sign manifest: %w", err)
	}
	return b, sig, nil
}

// jsonMarshal is the encoding of manifest.json: indented, ending in a newline.
func jsonMarshal(m Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cannot encode manifest: %v", err)
	}
	return append(b, '\n'), nil
}
