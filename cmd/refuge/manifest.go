package main

import (
	"errors"
	"io/fs"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
	"refuge/internal/cli"
)

// verifyManifest reads FILE and FILE.minisig and verifies them against the
// pinned root key, the expiry and the versions seen on this device
// (invariant 2: nothing is encrypted to keys that did not pass). It returns
// the recipients and the version. A manifest that fails verification is an
// exitManifest error.
func verifyManifest(name, rootPub string) ([]age.Recipient, uint64, error) {
	root, err := signing.ParsePublicKey(rootPub)
	if err != nil {
		return nil, 0, cli.BadRootPub(prog + " seal")
	}
	doc, sig, err := manifest.ReadFiles(name, name+".minisig")
	switch {
	case errors.Is(err, manifest.ErrTooLarge), errors.Is(err, manifest.ErrBadSignature):
		return nil, 0, manifestRefused(err)
	case err != nil:
		return nil, 0, manifestFileError(name, err)
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
	ce := &cli.Error{Code: exitManifest, Msg: "key manifest refused: " + err.Error()}
	switch {
	case errors.Is(err, manifest.ErrExpired):
		ce.Hint("get the current manifest from the officers or the server")
	case errors.Is(err, manifest.ErrRollback):
		ce.Hint("someone may be replaying old keys: get the current manifest from a trusted source")
	case errors.Is(err, manifest.ErrBadSignature):
		ce.Hint("check --root-pub against the key the officers published; do not use this manifest")
	case errors.Is(err, manifest.ErrStateCorrupt):
		ce.Code = exitError
	}
	return ce
}

// manifestFileError says which of the key manifest's two files could not
// be read, named once, with the reason alone and what to give instead.
func manifestFileError(name string, err error) *cli.Error {
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe) && pe.Path == name:
		return failf("cannot read the key manifest %s: %v", name, pe.Err).
			Hint("--manifest is the manifest.json the officers publish, with its signature %s.minisig beside it", name)
	case errors.As(err, &pe):
		return failf("cannot read the key manifest signature %s: %v", pe.Path, pe.Err).
			Hint("the signature must be beside the manifest, named %s.minisig", name)
	}
	return failf("%v", err).Hint("the signature must be beside the manifest, named %s.minisig", name)
}
