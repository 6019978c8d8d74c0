package main

import (
	"errors"
	"io"
	"os"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
)

// verifyManifest reads FILE and FILE.minisig and verifies them against the
// pinned root key, the expiry and the versions seen on this device
// (invariant 2: nothing is encrypted to keys that did not pass). It returns
// the recipients and the version. A manifest that fails verification is an
// exitManifest error.
func verifyManifest(name, rootPub string) ([]age.Recipient, uint64, error) {
	root, err := signing.ParsePublicKey(rootPub)
	if err != nil {
		return nil, 0, usagef("seal", "--root-pub: %v", err)
	}
	doc, err := readSmall(name, manifest.MaxSize)
	if err != nil {
		return nil, 0, failf("cannot read the manifest: %v", err)
	}
	sig, err := readSmall(name+".minisig", signing.MaxSignatureSize)
	if err != nil {
		return nil, 0, failf("cannot read the manifest signature: %v", err).
			hint("the signature must be beside the manifest, named %s.minisig", name)
	}
	seen, err := manifest.OpenSeenStore("")
	if err != nil {
		return nil, 0, failf("%v", err)
	}
	m, err := manifest.Verify(doc, sig, root, time.Now(), seen)
	if err != nil {
		return nil, 0, manifestRefused(err)
	}
	recipients, err := m.AgeRecipients()
	if err != nil {
		return nil, 0, manifestRefused(err)
	}
	return recipients, m.Version, nil
}

func manifestRefused(err error) error {
	ce := &cliError{code: exitManifest, msg: "key manifest refused: " + err.Error()}
	switch {
	case errors.Is(err, manifest.ErrExpired):
		ce.hint("get the current manifest from the officers or the server")
	case errors.Is(err, manifest.ErrRollback):
		ce.hint("someone may be replaying old keys: get the current manifest from a trusted source")
	case errors.Is(err, manifest.ErrBadSignature):
		ce.hint("check --root-pub against the key the officers published; do not use this manifest")
	case errors.Is(err, manifest.ErrStateCorrupt):
		ce.code = exitError
	}
	return ce
}

// readSmall reads a whole file of at most max bytes.
func readSmall(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errors.New("file too large")
	}
	return b, nil
}
