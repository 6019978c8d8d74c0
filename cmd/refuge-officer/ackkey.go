package main

import (
	"errors"
	"fmt"

	"refuge/crypto/signing"
)

const ackkeyHelp = `Usage: refuge-officer ackkey -o FILE [--passphrase-file F]

Makes the acknowledgement key: a minisign Ed25519 key that signs the
statements "submission X, ciphertext SHA-256 Y, imported" which "open
--ack-key" writes, and on which the server deletes that ciphertext. List its
public key in the key manifest (manifest sign --ack-key).

FILE is written in minisign's passphrase-encrypted format (stock
"minisign -S -s FILE" can use it), created with mode 0600 and never
overwritten. Standard output carries only the public key ("RW…").

Flags:
    -o FILE                 the encrypted key file to create (required)
    --passphrase-file F     read the passphrase from the first line of F
                            instead of asking twice at the terminal

Examples:
    $ refuge-officer ackkey -o ack.key > ack.pub
    $ refuge-officer manifest sign --root-key root.key --recipient "$(cat officer.pub)" \
          --ack-key "$(cat ack.pub)" --version 2 --expires 2027-06-30 -o manifest.json
    $ minisign -Vm outbox/acks/<submission id>.json -P "$(cat ack.pub)"`

func cmdAckkey(e *env, args []string) error {
	fs := e.newFlags("ackkey", ackkeyHelp)
	outName := fs.String("o", "", "")
	passFile := fs.String("passphrase-file", "", "")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("ackkey", "unexpected argument %q", pos[0])
	}
	if *outName == "" {
		return usagef("ackkey", "missing -o FILE")
	}
	if err := refuseExisting(*outName); err != nil {
		return err
	}
	if err := e.secure(); err != nil {
		return err
	}
	pass, err := e.passphrase(*passFile, true, "new acknowledgement key")
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
	e.out.infof("wrote the encrypted acknowledgement key to %s", *outName)
	e.out.hintf("list the public key above in the key manifest with \"manifest sign --ack-key\"")
	return nil
}
