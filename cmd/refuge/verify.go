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
	km, err := checkServedManifest("submit", rootPub, m, sig, stateDir, now)
	var ce *cli.Error
	if errors.As(err, &ce) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, servedManifestRefused(err)
	}
	rs, err := km.AgeRecipients()
	if err != nil {
		return nil, nil, servedManifestRefused(err)
	}
	return km, rs, nil
}

// checkServedManifest verifies a manifest fetched from the server as
// verifyServedManifest does. A root key that does not parse, or a seen-version
// store that cannot be read, is a *cli.Error; a manifest refused is
// crypto/manifest's error, for the caller to explain.
func checkServedManifest(cmd, rootPub string, m, sig []byte, stateDir string, now time.Time) (*manifest.Manifest, error) {
	root, err := signing.ParsePublicKey(rootPub)
	if err != nil {
		return nil, cli.BadRootPub(prog + " " + cmd)
	}
	seen, err := manifest.OpenSeenStore(stateDir)
	if err != nil {
		return nil, failf("%v", err)
	}
	return manifest.Verify(m, sig, root, now, seen)
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
