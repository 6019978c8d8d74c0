package main

import (
	"errors"
	"io/fs"
	"os"

	"refuge/crypto/signing"
	"refuge/internal/cli"
)

const rootkeyHelp = `Usage: refuge-officer rootkey -o FILE [--passphrase-file F]

Makes the root signing key (a minisign Ed25519 key) that signs the key
manifest, and writes it to FILE in minisign's passphrase-encrypted format
(stock "minisign -S -s FILE" can use it). FILE is created with mode 0600, is
never overwritten, and appears only once complete (Ctrl-C or SIGTERM leaves
none, and exits 130). Standard output carries only the public key ("RW…"),
which every client pins; messages go to standard error. The passphrase must
be at least 12 characters long.

The acknowledgement key (--ack-key of manifest sign) is made the same way
by "refuge-officer ackkey".

Flags:
    -o FILE                 the encrypted key file to create (required)
    --passphrase-file F     read the passphrase from the first line of F
                            (/dev/stdin for a pipe) instead of asking
                            twice at the terminal

Examples:
    $ refuge-officer rootkey -o root.key > root.pub
    $ minisign -Vm manifest.json -P "$(cat root.pub)"`

func cmdRootkey(e *env, args []string) error {
	return e.makeSigningKey(args, signingKeyKind{
		cmd: "rootkey", help: rootkeyHelp, what: "root signing key", passphraseLabel: "new signing key",
		hint: func(file, pub string) string {
			return "keep " + file + " and its passphrase on this machine; publish " + pub
		},
	})
}

// loadSigningKey decrypts a minisign key file made by rootkey or ackkey.
// A key file that cannot be opened is said before the passphrase is asked.
func (e *env) loadSigningKey(name, passFile string) (*signing.PrivateKey, error) {
	f, err := os.Open(name) // #nosec G304 -- the key file named by the officer
	if err != nil {
		return nil, signingKeyMissing(name, err)
	}
	f.Close()
	pass, err := e.passphrase(passFile, false, "signing key "+name)
	if err != nil {
		return nil, err
	}
	defer pass.Destroy()
	key, err := signing.LoadPrivateKey(name, pass.Bytes())
	switch {
	case errors.Is(err, signing.ErrWrongPassphrase):
		return nil, failf("wrong passphrase for %s", name).Hint("%s", passphraseHint(passFile))
	case errors.Is(err, signing.ErrNotKeyFile), errors.Is(err, signing.ErrNotEncrypted):
		return nil, failf("%s: %v", name, err).Hint("the file must be a key made by \"refuge-officer rootkey\" or \"refuge-officer ackkey\"")
	case errors.As(err, new(*fs.PathError)):
		return nil, signingKeyMissing(name, err)
	case err != nil:
		return nil, failf("cannot load %s: %v", name, err)
	}
	return key, nil
}

// signingKeyMissing is the error for a signing key file that cannot be
// opened: named once, with the reason alone.
func signingKeyMissing(name string, err error) error {
	return failf("cannot open the signing key %s: %v", name, cli.Reason(err)).
		Hint("give the key file that \"refuge-officer rootkey -o FILE\" or \"refuge-officer ackkey -o FILE\" wrote")
}
