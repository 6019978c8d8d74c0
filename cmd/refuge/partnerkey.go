package main

import (
	"errors"
	"fmt"

	"refuge/crypto/secrets"
	"refuge/crypto/signing"
	"refuge/internal/cli"
)

const partnerKeyHelp = `Usage: refuge partnerkey -o FILE [--passphrase-file F]

For a partner organisation, once: makes the key that signs its referrals
(a minisign key, Ed25519), writes it passphrase-encrypted to the new file
FILE (mode 0600, never over an existing file) and prints its public key
on standard output. Send the public key to the officers by a channel you
trust (read it out on a call you placed, hand it over in person): they list
it in their key manifest under your organisation's name, and from then on
"refuge refer --partner NAME --partner-key FILE" signs with it.

The passphrase is asked twice at the terminal (at least 12 characters); it
is all that protects the key if the file is copied. Keep the file off the
devices of the defenders you refer.

    -o FILE               where to write the encrypted key
    --passphrase-file F   read the passphrase from F's first line instead

Example:
    $ refuge partnerkey -o fld.key > fld.pub

Exit codes: 0 made, 1 failed (nothing written), 2 bad command line, 130
interrupted by Ctrl-C or SIGTERM (nothing written). FILE appears only
once complete: a kill or a power loss while it is written may leave a
file named .refuge-partial-… beside it, which is not the key: delete it.`

func cmdPartnerKey(e *env, args []string) error {
	kf, err := cli.ParseKeyFile(e.newFlags("partnerkey", partnerKeyHelp), args)
	if err != nil {
		return err
	}
	purge, err := secure()
	if err != nil {
		return err
	}
	defer purge()
	// Ctrl-C or SIGTERM from here on, after the prompt (while the key that
	// encrypts the file is derived, or the file written): no key file.
	ctx, stop := e.interruptible("")
	defer stop()
	pass, err := secrets.ReadPassphrase(secrets.Prompt{File: kf.PassphraseFile, Confirm: true, Label: "new partner key",
		Warn: func(m string) { e.out.Warnf("%s", m) }})
	switch {
	case errors.Is(err, secrets.ErrNoTerminal):
		return failf("%v", err).Hint("use --passphrase-file F when running without a terminal")
	case err != nil:
		return promptFail("%v", err)
	}
	defer pass.Destroy()
	if err := secrets.CheckNew(pass.Bytes()); err != nil {
		return failf("%v", err).Hint(secrets.NewPassphraseHint)
	}
	pub, err := signing.GenerateFileContext(ctx, kf.Out, pass.Bytes())
	if sig := e.signal(); err != nil && sig != nil {
		ce := cli.Interrupted(sig)
		ce.Msg += ": " + kf.Out + " was not written"
		return ce.Hint("run the same command again to make the key")
	}
	if errors.Is(err, signing.ErrKeyFileExists) {
		return failf("%s already exists; refusing to overwrite a key", kf.Out)
	}
	if err != nil {
		return failf("cannot make %s: %v", kf.Out, err)
	}
	fmt.Fprintln(e.stdout, pub)
	e.out.Infof("wrote the encrypted partner key to %s", kf.Out)
	e.out.Hintf("send the public key (on standard output) to the officers by a channel you trust; once their key manifest lists it under your organisation's name, refer with --partner NAME --partner-key %s", kf.Out)
	return nil
}
