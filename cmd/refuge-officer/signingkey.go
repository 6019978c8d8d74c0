package main

import (
	"errors"
	"fmt"

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
// new file named by -o (O_EXCL, 0600, never overwriting) and prints only its
// public key on standard output.
func (e *env) makeSigningKey(args []string, k signingKeyKind) error {
	fs := e.newFlags(k.cmd, k.help)
	outName := fs.String("o", "", "")
	passFile := fs.String("passphrase-file", "", "")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(k.cmd, "unexpected argument %q", pos[0])
	}
	if *outName == "" {
		return usagef(k.cmd, "missing -o FILE")
	}
	if err := refuseExisting(*outName); err != nil {
		return err
	}
	if err := e.secure(); err != nil {
		return err
	}
	pass, err := e.newPassphrase(*passFile, k.passphraseLabel)
	if err != nil {
		return err
	}
	defer pass.Destroy()
	pub, err := signing.GenerateFile(*outName, pass.Bytes())
	if errors.Is(err, signing.ErrKeyFileExists) {
		return failf("%s already exists; refusing to overwrite a key", *outName)
	}
	if err != nil {
		return failf("cannot make %s: %v", *outName, err)
	}
	fmt.Fprintln(e.stdout, pub)
	e.out.Infof("wrote the encrypted %s to %s", k.what, *outName)
	e.out.Hintf("%s", k.hint(*outName, e.printed("the public key")))
	return nil
}
