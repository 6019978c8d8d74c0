package main

import (
	"errors"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
	"refuge/internal/cli"
)

// verifyServedManifest checks a manifest fetched from the server against the
// pinned root key with crypto/manifest (signature, expiry, post-quantum
// recipients, no rollback below the highest version recorded in the state
// folder's seen-manifests.json) and returns its recipients.
func verifyServedManifest(rootPub string, m, sig []byte, stateDir string, now time.Time) (*manifest.Manifest, []age.Recipient, error) {
	root, err := signing.ParsePublicKey(rootPub)
	if err != nil {
		return nil, nil, cli.BadRootPub(prog + " submit")
	}
	seen, err := manifest.OpenSeenStore(stateDir)
	if err != nil {
		return nil, nil, failf("%v", err)
	}
	km, err := manifest.Verify(m, sig, root, now, seen)
	if err != nil {
		return nil, nil, servedManifestRefused(err)
	}
	rs, err := km.AgeRecipients()
	if err != nil {
		return nil, nil, servedManifestRefused(err)
	}
	return km, rs, nil
}

// servedManifestRefused explains a manifest from the server that failed
// verification: exit 3, nothing was encrypted or sent.
func servedManifestRefused(err error) error {
	var ce *cli.Error
	if !errors.As(manifestRefused(err), &ce) {
		return err
	}
	if errors.Is(err, manifest.ErrExpired) {
		// The usual case, and no sign of an attack: the people who run
		// the drop-box have not yet published the officers' new keys.
		ce.Msg = "the officers' keys on the server have expired (" + err.Error() + "), so nothing can be sent to them now; nothing was sent"
		ce.Hints = nil
		return ce.Hint("nothing is lost: the files stay as they are on this device. Run the same command again in a day or two, once the people who run the drop-box have published the officers' new keys")
	}
	ce.Msg = "the key manifest from the server was refused: " + err.Error() + "; nothing was sent"
	return ce.Hint("the server may be misconfigured or compromised; do not submit until the officers confirm their root key on another channel")
}
