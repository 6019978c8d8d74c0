// Command refuge is the client of defenders, partners and couriers: it
// seals files so that only the officers named in a verified key manifest can
// open them, uploads them resumably, and reads status and replies with the
// receipt phrase.
//
// Each subcommand lives in its own file (init.go, submit.go, status.go,
// replies.go, seal.go, refer.go, relay.go, courier.go) and is wired in the
// commands table below.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"refuge/client"
	"refuge/internal/cli"
)

const usage = `refuge: send files to immigration officers, encrypted on this device.

Usage:
    refuge init --server URL --root-pub KEY [--proxy URL]
    refuge submit [--note-file F] [--receipt-out F] FILES...
    refuge status
    refuge replies [-o DIR]
    refuge seal --manifest FILE --root-pub KEY -o bundle.age
                [--note-file F] [--receipt-out F] FILES...
    refuge refer --token T --partner NAME --partner-key FILE
                 [--form FILE] [FILES...]
    refuge relay --token T BUNDLE...
    refuge partnerkey -o FILE
    refuge courier pull --token T -o DIR
    refuge courier push --token T DIR

Commands:
    init      save the server, the pinned root key and a proxy as defaults
    submit    seal files and a note and upload them (resumable); prints the
              receipt phrase
    status    the state of your submission (asks for the receipt phrase)
    replies   read the officers' replies (asks for the receipt phrase)
    seal      seal files and a note into a bundle for the officers, offline,
              to hand to a partner organisation for relay
    refer     partners: file a signed, structured referral with files
    relay     partners: upload bundles sealed offline by defenders
    partnerkey  partners, once: make the key that signs referrals
    courier   couriers: pull ciphertext to removable media, push replies and
              acknowledgements back

Networked commands take --server, --root-pub and --proxy (socks5h://… for
Tor; default: the profile, else HTTPS_PROXY / ALL_PROXY).

Run "refuge COMMAND --help" for the flags and examples of a command.

Exit codes:
    0   success
    1   the command failed; nothing was written
    2   bad command line, or an incomplete or invalid referral form (refer)
    3   the key manifest was refused (bad signature, expired, rolled back,
        or not post-quantum): nothing was encrypted
    4   the network failed after retries: run the same command again; it
        resumes
    130 interrupted (Ctrl-C, or SIGTERM): an upload resumes when the same
        command is run again; seal and partnerkey wrote nothing`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, clientTuning{}))
}

// env is what a command may touch: its standard streams, whether they are
// terminals, and the output helper.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	stdoutFile     *os.File // standard output as a file, for bundles
	out            cli.Output
	// signals is the context of interruptible, which a Ctrl-C ends, and
	// resumeHint what running the command again then does.
	signals    context.Context
	resumeHint string
	// tune is what changes the client's defaults: nothing from main;
	// only the tests' refuge (main_test.go) waits less.
	tune clientTuning
}

// clientTuning is what the tests' refuge changes of the client's
// defaults, so that a link cut dozens of times, or a server that never
// answers, takes seconds, not minutes: the retry policy, the wait for an
// answer's headers and the bound on each answer (client.Options). The
// zero value keeps the defaults.
type clientTuning struct {
	retry         client.Retry
	timeout       time.Duration
	answerTimeout time.Duration
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// commands are refuge's commands, in the order an unknown command's hint
// lists them.
var commands = cli.Commands[func(e *env, args []string) error]{
	{Name: "init", Run: cmdInit},
	{Name: "submit", Run: cmdSubmit},
	{Name: "status", Run: cmdStatus},
	{Name: "replies", Run: cmdReplies},
	{Name: "seal", Run: cmdSeal},
	{Name: "refer", Run: cmdRefer},
	{Name: "relay", Run: cmdRelay},
	{Name: "partnerkey", Run: cmdPartnerKey},
	{Name: "courier", Run: cmdCourier},
}

// run runs refuge with args; tune changes the client's defaults (see
// clientTuning).
func run(args []string, stdin io.Reader, stdout *os.File, stderr io.Writer, tune clientTuning) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, stdoutFile: stdout, out: cli.Output{Prog: prog, W: stderr}, tune: tune}
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
	var ce *cli.Error
	if err != nil && e.interrupted() && (!errors.As(err, &ce) || ce.Code != exitInterrupted) {
		err = e.interruptedError() // unless the command said itself what was done
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
