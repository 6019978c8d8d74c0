package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/secrets"
	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/internal/noreplace"
)

const manifestHelp = `Usage: refuge-officer manifest sign --root-key FILE [--passphrase-file F]
           --recipient R [--recipient R...] [--partner NAME=PUBKEY...]
           [--ack-key PUB] --version N --expires YYYY-MM-DD -o FILE

Signs the key manifest: the officers' age recipients that clients encrypt to,
the partners' signing keys, the acknowledgement key, a version and an expiry.
Writes FILE (JSON) and FILE.minisig (a minisign signature by the root key, so
stock "minisign -Vm FILE -P RW…" verifies it). Neither file is overwritten;
each appears only once complete, the signature first. Ctrl-C or SIGTERM
after the passphrase writes neither, and exits 130.

Clients refuse a manifest that is expired (it is valid through the end of the
expiry day, UTC), whose version is lower than one they have seen, or that
lists a recipient that is not post-quantum (age1pq1…). Raise --version with
every new manifest, and sign the next one well before this one expires: from
the day after, no one can submit. Signed into the courier's outbox
(-o outbox/manifest.json), it is published by "refuge courier push outbox".

Flags:
    --root-key FILE         root signing key (from rootkey)
    --passphrase-file F     read its passphrase from the first line of F
    --recipient R           an officer recipient, age1pq1… (repeatable)
    --partner NAME=PUBKEY   a partner's name ([a-z0-9-]) and minisign key
                            (repeatable)
    --ack-key PUB           public key that signs acknowledgements ("RW…")
    --version N             manifest version, at least 1
    --expires YYYY-MM-DD    last day of validity (UTC)
    -o FILE                 manifest to create; the signature goes to
                            FILE.minisig

Example:
    $ refuge-officer manifest sign --root-key root.key \
          --recipient "$(cat officer.pub)" --recipient "$(cat officer2.pub)" \
          --partner fld=RWQ… --ack-key "$(cat ack.pub)" \
          --version 2 --expires 2027-06-30 -o manifest.json`

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// manifestCommands are manifest's subcommands.
var manifestCommands = cli.Commands[func(e *env, args []string) error]{
	{Name: "sign", Run: cmdManifestSign},
}

func cmdManifest(e *env, args []string) error {
	names := strings.Join(manifestCommands.Names(), ", ")
	if len(args) == 0 {
		return usagef("manifest", "missing subcommand: %s", names)
	}
	args, hce := manifestCommands.HelpFirst(prog+" manifest", args) // "manifest help sign"
	if hce != nil {
		return hce
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintln(e.stdout, manifestHelp)
		return nil
	}
	run, ok := manifestCommands.Lookup(args[0])
	if !ok {
		if ce := cli.CommandAfterFlags(prog+" manifest", args, manifestCommands.Names()); ce != nil {
			return ce
		}
		ce := usagef("manifest", "unknown subcommand %q (want: %s)", args[0], names)
		if near := cli.Nearest(args[0], manifestCommands.Names()); near != "" {
			ce.Hint("did you mean %q?", prog+" manifest "+near)
		}
		return ce
	}
	return run(e, args[1:])
}

func cmdManifestSign(e *env, args []string) error {
	fs := e.newFlags("manifest", manifestHelp)
	rootKey := fs.String("root-key", "", "")
	passFile := fs.String("passphrase-file", "", "")
	var recipients, partners listFlag
	fs.Var(&recipients, "recipient", "")
	fs.Var(&partners, "partner", "")
	ackKey := fs.String("ack-key", "", "")
	version := fs.String("version", "", "")
	expires := fs.String("expires", "", "")
	outName := fs.String("o", "", "")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("manifest", "unexpected argument %q", pos[0])
	}
	m, err := manifestFromFlags(*rootKey, recipients, partners, *ackKey, *version, *expires, *outName)
	if err != nil {
		return err
	}
	sigName := *outName + ".minisig"
	for _, name := range []string{*outName, sigName} {
		if _, err := os.Lstat(name); err == nil {
			return failf("%s already exists; refusing to overwrite it", name).Hint("choose another -o file (a manifest that replaces a published one needs a higher --version)")
		}
	}
	if err := e.secure(); err != nil {
		return err
	}
	// Ctrl-C or SIGTERM from here on (after the prompt: while the root
	// key is decrypted, or the files written) writes nothing.
	ctx, stop := secrets.Interruptible()
	defer stop()
	notWritten := func() *cli.Error {
		err := stopped(ctx, "the manifest was not signed, nothing was written")
		if err != nil {
			err.Hint("run the same command again to sign it")
		}
		return err
	}
	key, err := e.loadSigningKey(*rootKey, *passFile)
	if err != nil {
		return err
	}
	defer key.Destroy()
	if err := notWritten(); err != nil {
		return err
	}
	doc, sig, err := manifest.Sign(*m, key, time.Now())
	if err != nil {
		return failf("cannot sign the manifest: %v", err)
	}
	// The signature first: a manifest is never in place without it.
	err = writeNewFile(ctx, sigName, sig)
	if err == nil {
		if err = writeNewFile(ctx, *outName, doc); err != nil {
			os.Remove(sigName) // #nosec G104 -- the signature of a manifest that was not written
		}
	}
	if serr := notWritten(); err != nil && serr != nil {
		return serr
	}
	if err != nil {
		return err
	}
	e.out.Infof("signed key manifest version %d, valid through %s (UTC), for %s: %s and %s",
		m.Version, m.Expires, cli.Plural(len(m.Recipients), "recipient"), *outName, sigName)
	e.out.Hintf("check it anywhere with: minisign -Vm %s -P %s", *outName, key.Public())
	return nil
}

// manifestFromFlags checks the flags before any passphrase is asked.
func manifestFromFlags(rootKey string, recipients, partners []string, ackKey, version, expires, out string) (*manifest.Manifest, error) {
	switch {
	case rootKey == "":
		return nil, usagef("manifest", "missing --root-key FILE")
	case len(recipients) == 0:
		return nil, usagef("manifest", "missing --recipient (at least one officer recipient)")
	case version == "":
		return nil, usagef("manifest", "missing --version N")
	case expires == "":
		return nil, usagef("manifest", "missing --expires YYYY-MM-DD")
	case out == "":
		return nil, usagef("manifest", "missing -o FILE")
	}
	m := &manifest.Manifest{Expires: expires, Recipients: recipients, Partners: []manifest.Partner{}, AckKey: ackKey}
	v, err := strconv.ParseUint(version, 10, 64)
	if err != nil || v < 1 {
		return nil, usagef("manifest", "--version must be at least 1")
	}
	m.Version = v
	if _, err := time.Parse(manifest.DateLayout, expires); err != nil {
		return nil, usagef("manifest", "--expires must be a date YYYY-MM-DD")
	}
	for _, r := range recipients {
		if _, err := age.ParseHybridRecipient(r); err != nil {
			if _, xerr := age.ParseX25519Recipient(r); xerr == nil {
				return nil, failf("recipient %.20s… is a classic age key, not post-quantum", r).
					Hint("officer keys must be age1pq1… keys from \"refuge-officer keygen\"")
			}
			return nil, failf("recipient %.20s… is not an age1pq1 recipient: %v", r, err)
		}
	}
	for _, p := range partners {
		name, key, ok := strings.Cut(p, "=")
		if !ok || name == "" || key == "" {
			return nil, usagef("manifest", "--partner must be NAME=PUBKEY")
		}
		if _, err := signing.ParsePublicKey(key); err != nil {
			return nil, failf("partner %s: %v", name, err)
		}
		m.Partners = append(m.Partners, manifest.Partner{Name: name, Key: key})
	}
	if ackKey != "" {
		if _, err := signing.ParsePublicKey(ackKey); err != nil {
			return nil, failf("--ack-key: %v", err)
		}
	}
	return m, nil
}

// writeNewFile writes a public file (mode 0644) that must not exist yet:
// it appears at its name only complete and durable (noreplace.WriteNew),
// and not once ctx has ended.
func writeNewFile(ctx context.Context, name string, data []byte) error {
	err := noreplace.WriteNew(ctx, name, 0o644, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if errors.Is(err, noreplace.ErrExists) {
		return failf("%s already exists; refusing to overwrite it", name)
	}
	if err != nil {
		return failf("cannot write %s: %v", name, err)
	}
	return nil
}
