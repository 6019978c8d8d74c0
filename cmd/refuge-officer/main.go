// Command refuge-officer is the officers' tool for the air-gapped machine:
// it makes the officer's post-quantum age identity and the root signing
// key, signs the key manifest, opens sealed bundles (with a report and a
// signed acknowledgement for each), and seals replies to their senders.
//
// It contains no networking code (a test checks its imports), keeps
// passphrases and decrypted key files in memguard buffers, and disables core
// dumps before it reads any secret.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"refuge/crypto/secrets"
	"refuge/internal/cli"
)

const usage = `refuge-officer: officers' tool for the air-gapped machine.

Usage:
    refuge-officer keygen -o FILE [--passphrase-file F]
    refuge-officer rootkey -o FILE [--passphrase-file F]
    refuge-officer manifest sign --root-key FILE --recipient R...
                                 --version N --expires YYYY-MM-DD -o FILE
    refuge-officer ackkey -o FILE [--passphrase-file F]
    refuge-officer open -i FILE [--passphrase-file F] -o OUTDIR
                        [--manifest FILE --root-pub KEY]
                        [--ack-key FILE --outbox DIR] BUNDLE...
    refuge-officer reply --to OUTDIR/<submission id>
                         (--message TEXT | --message-file F)
                         (--ack-key FILE [--manifest FILE --root-pub KEY]
                          | --unsigned)
                         [-i FILE] -o OUTBOX [FILE...]

Commands:
    keygen      make a passphrase-protected post-quantum age identity
                (age1pq1…)
    rootkey     make the root signing key that signs the key manifest
    ackkey      make the acknowledgement key (its signatures let the
                server delete)
    manifest    sign the key manifest that clients trust
    open        decrypt, verify and extract sealed bundles; report; acknowledge
    reply       seal an answer to a submission's sender into the outbox, signed

Run "refuge-officer COMMAND --help" for the flags and examples of a command.
Passphrases are asked at the terminal (twice for a new key), or read from the
first line of --passphrase-file. A new key's passphrase must be at least 12
characters long.

Exit codes:
    0   success
    1   the command failed; nothing was written (open: a BUNDLE named does
        not exist or is a folder, or OUTDIR or the outbox cannot be written)
    2   bad command line
    3   open: at least one bundle failed or was flagged; the others were opened
        (unless OUTDIR could take no more: open stopped there, and the same
        command goes on)
    130 interrupted (Ctrl-C, or SIGTERM): at a passphrase prompt, nothing was
        written; in open, the bundles opened are kept and the one being read
        is not (the same command goes on); in reply, no reply was written; in
        keygen, rootkey, ackkey and manifest sign, nothing was written (once
        the key derivation under way ends, a second or so). A second Ctrl-C
        stops at once, leaving what a kill would

Key files and manifests appear at their name only once complete. A kill or a
power loss while one is written may leave a file named .refuge-partial-…
(mode 0600) beside it: it is not the file, no command reads it; delete it.

Example (one officer, fresh machine):
    $ refuge-officer keygen -o officer.key > officer.pub
    $ refuge-officer rootkey -o root.key > root.pub
    $ refuge-officer ackkey -o ack.key > ack.pub
    $ refuge-officer manifest sign --root-key root.key \
          --recipient "$(cat officer.pub)" --ack-key "$(cat ack.pub)" \
          --version 1 --expires 2027-06-30 -o manifest.json
    $ refuge-officer open -i officer.key -o inbox --manifest manifest.json \
          --root-pub "$(cat root.pub)" --ack-key ack.key --outbox outbox \
          usb/*.age
    $ refuge-officer reply --ack-key ack.key --manifest manifest.json \
          --root-pub "$(cat root.pub)" --to inbox/<submission id> \
          --message "Received." -o outbox`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what a command may touch: its standard streams and the output
// helper, plus whether the process is ready to hold secrets.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	out            cli.Output
	purge          func()
}

// secure prepares the process to hold secrets (memlock, core dumps).
// Commands call it after parsing flags, so --help works anywhere.
func (e *env) secure() error {
	if e.purge != nil {
		return nil
	}
	purge, err := secrets.Init()
	if errors.Is(err, secrets.ErrMemlock) {
		return failf("%v", err).Hint("secrets are kept in locked memory so they never reach swap; allow at least 64 KiB")
	}
	if err != nil {
		return failf("%v", err)
	}
	e.purge = purge
	return nil
}

// commands are refuge-officer's commands, in the order an unknown
// command's hint lists them.
var commands = cli.Commands[func(e *env, args []string) error]{
	{Name: "keygen", Run: cmdKeygen},
	{Name: "rootkey", Run: cmdRootkey},
	{Name: "ackkey", Run: cmdAckkey},
	{Name: "manifest", Run: cmdManifest},
	{Name: "open", Run: cmdOpen},
	{Name: "reply", Run: cmdReply},
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, out: cli.Output{Prog: prog, W: stderr}}
	defer func() {
		if e.purge != nil {
			e.purge()
		}
	}()
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	args, hce := commands.HelpFirst(prog, args) // "help submit"
	if hce != nil {
		return e.out.Fail(hce)
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	}
	cmd, ok := commands.Lookup(args[0])
	if !ok {
		if ce := cli.CommandAfterFlags(prog, args, commands.Names()); ce != nil {
			return e.out.Fail(ce)
		}
		return e.out.Fail(cli.UnknownCommand(prog, args[0], commands.Names()))
	}
	err := cmd(e, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return e.out.Fail(err)
	}
	return exitOK
}

// newFlags returns the flag set of the command name, whose --help prints
// help on standard output; parse it with cli.Parse.
func (e *env) newFlags(name, help string) *flag.FlagSet {
	return cli.NewFlags(prog+" "+name, help, e.stdout)
}
