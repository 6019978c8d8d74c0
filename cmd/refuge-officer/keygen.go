package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/awnumar/memguard"

	"refuge/crypto/secrets"
	"refuge/internal/cli"
	"refuge/internal/kdfcost"
	"refuge/internal/noreplace"
)

const keygenHelp = `Usage: refuge-officer keygen -o FILE [--passphrase-file F]

Makes a post-quantum hybrid age identity (ML-KEM-768 + X25519) and writes it
to FILE, encrypted with a passphrase in age's own scrypt format, so that stock
"age -d -i FILE" can still use it. FILE is created with mode 0600 and is never
overwritten; it appears only once complete (Ctrl-C or SIGTERM leaves none, and
exits 130). Standard output carries only the recipient (age1pq1…), which goes
into the key manifest; messages go to standard error.

The passphrase must be at least 12 characters long: it is all that protects
the key if the file is copied. A few unrelated words are easy to type.

Flags:
    -o FILE                 the encrypted identity file to create (required)
    --passphrase-file F     read the passphrase from the first line of F
                            (/dev/stdin for a pipe) instead of asking
                            twice at the terminal

Examples:
    $ refuge-officer keygen -o officer.key > officer.pub
    $ refuge-officer keygen -o officer.key --passphrase-file /media/usb/pass`

// testScryptWorkFactor is the scrypt work factor (log2 N) of officer keys
// made inside test binaries; release builds always keep age's default (18),
// since refuge/internal/kdfcost can be lowered only under "go test".
const testScryptWorkFactor = 10

func cmdKeygen(e *env, args []string) error {
	kf, err := cli.ParseKeyFile(e.newFlags("keygen", keygenHelp), args)
	if err != nil {
		return err
	}
	if err := e.secure(); err != nil {
		return err
	}
	// Ctrl-C or SIGTERM from here on: no key file (see keyNotWritten).
	ctx, stop := secrets.Interruptible()
	defer stop()
	pass, err := e.newPassphrase(kf.PassphraseFile, "new officer key")
	if err != nil {
		return err
	}
	defer pass.Destroy()

	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return failf("cannot generate identity: %v", err)
	}
	recipient := id.Recipient().String()
	text := identityText(id, time.Now().UTC())
	defer text.Destroy()

	r, err := age.NewScryptRecipient(string(pass.Bytes()))
	if err != nil {
		return failf("cannot use passphrase: %v", err)
	}
	if kdfcost.Low() {
		r.SetWorkFactor(testScryptWorkFactor)
	}
	err = noreplace.WriteNew(ctx, kf.Out, 0o600, func(w io.Writer) error {
		aw, err := age.Encrypt(w, r)
		if err != nil {
			return err
		}
		if _, err := aw.Write(text.Bytes()); err != nil {
			return err
		}
		return aw.Close()
	})
	if serr := keyNotWritten(ctx, kf.Out); err != nil && serr != nil {
		return serr
	}
	if err != nil {
		return writeKeyError(kf.Out, err)
	}
	fmt.Fprintln(e.stdout, recipient)
	e.out.Infof("wrote the encrypted officer identity to %s", kf.Out)
	e.out.Hintf("keep %s and its passphrase on this machine; put %s in the key manifest", kf.Out, e.printed("the recipient"))
	return nil
}

// identityText builds the identity file as age-keygen -pq writes it, inside
// a locked buffer. The creation time is kept at day granularity.
func identityText(id *age.HybridIdentity, now time.Time) *memguard.LockedBuffer {
	s := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n",
		now.Format(time.DateOnly), id.Recipient(), id)
	b := memguard.NewBuffer(len(s))
	copy(b.Bytes(), s)
	return b
}

// keyNotWritten is the error of a command that makes a key (keygen,
// rootkey, ackkey) when Ctrl-C or SIGTERM came after its prompt, while it
// derived the key that encrypts the file or wrote it: the file was not
// put in place, and its temporary file was removed
// (noreplace.WriteNew). A signal during the key derivation takes effect
// when it ends, a second or so. It returns nil when no signal came.
func keyNotWritten(ctx context.Context, name string) *cli.Error {
	err := stopped(ctx, "%s was not written", name)
	if err != nil {
		err.Hint("run the same command again to make the key")
	}
	return err
}

func writeKeyError(name string, err error) error {
	if errors.Is(err, noreplace.ErrExists) {
		return failf("%s already exists; refusing to overwrite a key", name)
	}
	return failf("cannot write %s: %v", name, err)
}

// newPassphrase reads the passphrase of a new key (asked twice at the
// terminal) and refuses one shorter than secrets.MinNewPassphrase. Its messages
// never tell the length of what was typed.
func (e *env) newPassphrase(file, label string) (*memguard.LockedBuffer, error) {
	p, err := e.passphrase(file, true, label)
	if err != nil {
		return nil, err
	}
	if err := secrets.CheckNew(p.Bytes()); err != nil {
		p.Destroy()
		return nil, failf("%v", err).Hint(secrets.NewPassphraseHint)
	}
	return p, nil
}

// passphrase reads a passphrase from a file or the terminal, turning the
// usual failures into errors with hints, and Ctrl-C or SIGTERM at the
// prompt into exit 130.
func (e *env) passphrase(file string, confirm bool, label string) (*memguard.LockedBuffer, error) {
	p, err := secrets.ReadPassphrase(secrets.Prompt{
		File: file, Confirm: confirm, Label: label,
		Warn: func(msg string) { e.out.Warnf("%s", msg) },
	})
	var stopped *secrets.InterruptedError
	switch {
	case errors.As(err, &stopped):
		return nil, cli.Interrupted(stopped.Signal)
	case errors.Is(err, secrets.ErrNoTerminal):
		return nil, failf("%v", err).Hint("use --passphrase-file F when running without a terminal")
	case errors.Is(err, secrets.ErrEmptyPassphrase):
		return nil, failf("%v", err).Hint("a key needs a passphrase; an empty one protects nothing")
	case err != nil:
		return nil, failf("%v", err)
	}
	return p, nil
}
