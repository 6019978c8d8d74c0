package main

import (
	"errors"
	"fmt"

	"refuge/crypto/secrets"
	"refuge/crypto/signing"
	"refuge/internal/cli"
)

// signingKeyKind describes one of the minisign keys the officers make
// (rootkey, ackkey): the same steps, different words.
type signingKeyKind struct {
	cmd, help       string
	what            string // "root signing key"
	passphraseLabel string
	hint            func(file, pub string) string // pub: "the public key above" or where it went
}

// makeSigningKey makes a minisign key, writes it passphrase-encrypted to the
// new file named by -o (0600, never overwriting, there only once complete)
// and prints only its public key on standard output.
func (e *env) makeSigningKey(args []string, k signingKeyKind) error {
	kf, err := cli.ParseKeyFile(e.newFlags(k.cmd, k.help), args)
	if err != nil {
		return err
	}
	if err := e.secure(); err != nil {
		return err
	}
	// Ctrl-C or SIGTERM from here on: no key file (keyNotWritten).
	ctx, stop := secrets.Interruptible()
	defer stop()
	pass, err := e.newPassphrase(kf.PassphraseFile, k.passphraseLabel)
	if err != nil {
		return err
	}
	defer pass.Destroy()
	pub, err := signing.GenerateFileContext(ctx, kf.Out, pass.Bytes())
	if serr := keyNotWritten(ctx, kf.Out); err != nil && serr != nil {
		return serr
	}
	if errors.Is(err, signing.ErrKeyFileExists) {
		return failf("%s already exists; refusing to overwrite a key", kf.Out)
	}
	if err != nil {
		return failf("cannot make %s: %v", kf.Out, err)
	}
	fmt.Fprintln(e.stdout, pub)
	e.out.Infof("wrote the encrypted %s to %s", k.what, kf.Out)
	e.out.Hintf("%s", k.hint(kf.Out, e.printed("the public key")))
	return nil
}
