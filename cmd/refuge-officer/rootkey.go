package main

import (
	"errors"
	"fmt"

	"refuge/crypto/signing"
)

const rootkeyHelp = `Usage: refuge-officer rootkey -o FILE [--passphrase-file F]

Makes the root signing key (a minisign Ed25519 key) that signs the key
manifest, and writes it to FILE in minisign's passphrase-encrypted format
(stock "minisign -S -s FILE" can use it). FILE is created with mode 0600 and
is never overwritten. Standard output carries only the public key ("RW…"),
which every client pins; messages go to standard error.

The same command makes the acknowledgement key (--ack-key of manifest sign).

Flags:
    -o FILE                 the encrypted key file to create (required)
    --passphrase-file F     read the passphrase from the first line of F
                            (/dev/stdin for a pipe) instead of asking
                            twice at the terminal

Examples:
    $ refuge-officer rootkey -o root.key > root.pub
    $ refuge-officer rootkey -o ack.key > ack.pub
    $ minisign -Vm manifest.json -P "$(cat root.pub)"`

func cmdRootkey(e *env, args []string) error {
	fs := e.newFlags("rootkey", rootkeyHelp)
	outName := fs.String("o", "", "")
	passFile := fs.String("passphrase-file", "", "")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("rootkey", "unexpected argument %q", pos[0])
	}
	if *outName == "" {
		return usagef("rootkey", "missing -o FILE")
	}
	if err := refuseExisting(*outName); err != nil {
		return err
	}
	if err := e.secure(); err != nil {
		return err
	}
	pass, err := e.passphrase(*passFile, true, "new signing key")
	if err != nil {
		return err
	}
	defer pass.Destroy()
	key, err := signing.Generate()
	if err != nil {
		return failf("cannot generate signing key: %v", err)
	}
	defer key.Destroy()
	if err := key.WriteFile(*outName, pass.Bytes()); err != nil {
		if errors.Is(err, signing.ErrKeyFileExists) {
			return failf("%s already exists; refusing to overwrite a key", *outName)
		}
		return failf("cannot write %s: %v", *outName, err)
	}
	fmt.Fprintln(e.stdout, key.Public())
	e.out.infof("wrote the encrypted root signing key to %s", *outName)
	e.out.hintf("keep %s and its passphrase on this machine; publish the public key above", *outName)
	return nil
}

// loadSigningKey decrypts a minisign key file made by rootkey.
func (e *env) loadSigningKey(name, passFile string) (*signing.PrivateKey, error) {
	pass, err := e.passphrase(passFile, false, "signing key "+name)
	if err != nil {
		return nil, err
	}
	defer pass.Destroy()
	key, err := signing.LoadPrivateKey(name, pass.Bytes())
	switch {
	case errors.Is(err, signing.ErrWrongPassphrase):
		return nil, failf("wrong passphrase for %s", name)
	case errors.Is(err, signing.ErrNotKeyFile), errors.Is(err, signing.ErrNotEncrypted):
		return nil, failf("%s: %v", name, err).hint("the file must be a key made by \"refuge-officer rootkey\"")
	case err != nil:
		return nil, failf("cannot load %s: %v", name, err)
	}
	return key, nil
}
