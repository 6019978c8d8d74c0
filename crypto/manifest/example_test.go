package manifest_test

import (
	"fmt"
	"os"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
)

// An officer signs a manifest with the root key; a client that pins the root
// public key verifies it (and records its version against rollback) before
// encrypting to its recipients.
func Example() {
	root, err := signing.Generate() // or signing.LoadPrivateKey("root.key", passphrase)
	if err != nil {
		panic(err)
	}
	defer root.Destroy()
	officer, err := age.GenerateHybridIdentity()
	if err != nil {
		panic(err)
	}

	now := time.Now()
	manifestJSON, sig, err := manifest.Sign(manifest.Manifest{
		Version:    1,
		Expires:    now.AddDate(0, 6, 0).UTC().Format(manifest.DateLayout),
		Recipients: []string{officer.Recipient().String()},
	}, root, now)
	if err != nil {
		panic(err)
	}

	// Client side: the pinned key comes from configuration ("RW…").
	pinned, err := signing.ParsePublicKey(root.Public().String())
	if err != nil {
		panic(err)
	}
	stateDir, _ := os.MkdirTemp("", "refuge-state") // normally "" (the default)
	defer os.RemoveAll(stateDir)
	seen, err := manifest.OpenSeenStore(stateDir)
	if err != nil {
		panic(err)
	}
	m, err := manifest.Verify(manifestJSON, sig, pinned, now, seen)
	if err != nil {
		panic(err)
	}
	recipients, err := m.AgeRecipients() // pass to age.Encrypt
	if err != nil {
		panic(err)
	}
	fmt.Println("version", m.Version, "recipients", len(recipients))
	// Output: version 1 recipients 1
}
