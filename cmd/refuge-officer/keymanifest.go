package main

import (
	"errors"
	"io/fs"
	"time"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
	"refuge/internal/cli"
)

// loadKeyManifest reads FILE and FILE.minisig and verifies them against
// the root public key (signature, expiry, post-quantum recipients, and no
// version lower than the highest seen on this machine). No network: the
// courier carries the files in.
// cmd names the command, for a usage error.
func loadKeyManifest(cmd, name, rootPub string) (*manifest.Manifest, error) {
	if rootPub == "" {
		return nil, usagef(cmd, "--manifest needs --root-pub KEY, the root public key to verify it with")
	}
	root, err := signing.ParsePublicKey(rootPub)
	if err != nil {
		return nil, cli.BadRootPub(prog + " " + cmd)
	}
	doc, sig, err := manifest.ReadFiles(name, name+".minisig")
	if err != nil {
		return nil, manifestFileError(name, err)
	}
	// The state folder (the highest manifest version seen) is made by the
	// store for a manifest that verifies; one refused leaves no new
	// folder behind.
	seen, err := manifest.OpenSeenStore("")
	if err != nil {
		return nil, failf("%v", err)
	}
	m, err := manifest.Verify(doc, sig, root, time.Now(), seen)
	if err != nil {
		return nil, failf("key manifest refused: %v", err).
			Hint("use the current manifest signed with the root key %s", root.KeyID())
	}
	return m, nil
}

// manifestFileError says which of the key manifest's two files could not
// be read, named once, with the reason alone and what to give instead.
func manifestFileError(name string, err error) *cli.Error {
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe) && pe.Path == name:
		return failf("cannot read the key manifest %s: %v", name, pe.Err).
			Hint("--manifest is the manifest.json the officers signed (refuge-officer manifest sign), with its signature %s.minisig beside it", name)
	case errors.As(err, &pe):
		return failf("cannot read the key manifest signature %s: %v", pe.Path, pe.Err).
			Hint("the signature must be beside the manifest, named %s.minisig", name)
	}
	return failf("%v", err).Hint("the signature must be beside the manifest, named %s.minisig", name)
}
