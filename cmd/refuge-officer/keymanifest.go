package main

import (
	"time"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
)

// loadKeyManifest reads FILE and FILE.minisig and verifies them against
// the root public key (signature, expiry, post-quantum recipients, and no
// version lower than the highest seen on this machine). No network: the
// courier carries the files in.
func loadKeyManifest(name, rootPub string) (*manifest.Manifest, error) {
	if rootPub == "" {
		return nil, usagef("open", "--manifest needs --root-pub KEY, the root public key to verify it with")
	}
	root, err := signing.ParsePublicKey(rootPub)
	if err != nil {
		return nil, usagef("open", "--root-pub: %v", err)
	}
	doc, sig, err := manifest.ReadFiles(name, name+".minisig")
	if err != nil {
		return nil, failf("%v", err).Hint("the signature must be beside the manifest, named %s.minisig", name)
	}
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
