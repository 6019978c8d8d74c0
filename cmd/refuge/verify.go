package main

import (
	"errors"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
)

// verifyManifest checks a manifest fetched from the server against the
// pinned root key with crypto/manifest (signature, expiry, post-quantum
// recipients, no rollback below the highest version recorded in the state
// folder's seen-manifests.json) and returns its recipients.
func verifyManifest(rootPub string, m, sig []byte, stateDir string, now time.Time) ([]age.Recipient, uint64, error) {
	root, err := signing.ParsePublicKey(rootPub)
	if err != nil {
		return nil, 0, errors.New("the pinned root key is not a minisign public key")
	}
	seen, err := manifest.OpenSeenStore(stateDir)
	if err != nil {
		return nil, 0, err
	}
	km, err := manifest.Verify(m, sig, root, now, seen)
	if err != nil {
		return nil, 0, err
	}
	rs, err := km.AgeRecipients()
	if err != nil {
		return nil, 0, err
	}
	return rs, km.Version, nil
}
