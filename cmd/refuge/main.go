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
	"strings"

	"golang.org/x/term"

	"refuge/internal/editdist"
)

const usage = `refuge: send files to immigration officers, encrypted on this device.

Usage:
    refuge init --server URL --root-pub KEY [--proxy URL]
    refuge submit [--note-file F] [--receipt-out F] FILES...
    refuge status
    refuge replies [-o DIR]
    refuge seal --manifest FILE --root-pub KEY -o bundle.age [--note-file F] [--receipt-out F] FILES...
    refuge refer --token T --partner NAME --partner-key FILE [--form FILE] [FILES...]
    refuge relay --token T BUNDLE...
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
    courier   couriers: pull ciphertext to removable media, push replies and
              acknowledgements back

Networked commands take --server, --root-pub and --proxy (socks5h://… for
Tor; default: the profile, else HTTPS_PROXY / ALL_PROXY).

Run "refuge COMMAND --help" for the flags and examples of a command.

Exit codes:
    0   success
    1   the command failed; nothing was written
    2   bad command line
    3   the key manifest was refused (bad signature, expired, rolled back,
        or not post-quantum): nothing was encrypted
    4   the network failed after retries: run the same command again; it
        resumes
    130 interrupted (Ctrl-C, or SIGTERM): an upload resumes when the same
        command is run again`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what a command may touch: its standard streams, whether they are
// terminals, and the output helper.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	stdoutFile     *os.File // standard output as a file, for bundles
	out            output
	// signals is the context of interruptible, which a Ctrl-C ends, and
	// resumeHint what running the command again then does.
	signals    context.Context
	resumeHint string
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

var commands = map[string]func(e *env, args []string) error{
	"seal":    cmdSeal,
	"init":    cmdInit,
	"submit":  cmdSubmit,
	"status":  cmdStatus,
	"replies": cmdReplies,
	"relay":   cmdRelay,
	"courier": cmdCourier,
	"refer":   cmdRefer,
}

func run(args []string, stdin io.Reader, stdout *os.File, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, stdoutFile: stdout, out: output{stderr}}
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		ce := usagef("", "unknown command %q", args[0])
		var names []string
		for name := range commands {
			names = append(names, name)
		}
		if near := nearest(args[0], names); near != "" {
			ce.hint("did you mean %q?", prog+" "+near)
		}
		return e.out.fail(ce.hint("commands: init, submit, status, replies, seal, refer, relay, courier"))
	}
	err := cmd(e, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil && e.interrupted() {
		err = e.interruptedError()
	}
	if err != nil {
		return e.out.fail(err)
	}
	return exitOK
}

// newFlags returns a flag set that prints help on stdout for --help and
// leaves errors to the caller.
func (e *env) newFlags(name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() { fmt.Fprintln(e.stdout, help) }
	return fs
}

// parse parses args, allowing flags after positional arguments, and
// returns the positional arguments. Flag errors become usage errors.
// Everything after "--" is positional.
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	// The flag package shows the help after any error too: a mistyped
	// flag would bury its one-line error under the whole help text.
	help := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			help()
			return nil, err
		}
		if err != nil {
			return nil, flagError(fs, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// flagError is a usage error for a flag the command refused, naming the
// flag it has that comes nearest to a mistyped one.
func flagError(fs *flag.FlagSet, err error) error {
	ce := usagef(fs.Name(), "%v", err)
	const undefined = "flag provided but not defined: -"
	if name, ok := strings.CutPrefix(err.Error(), undefined); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if near := nearest(strings.TrimLeft(name, "-"), names); near != "" {
			ce.hints = append([]string{fmt.Sprintf("did you mean --%s?", near)}, ce.hints...)
		}
	}
	return ce
}

// nearest returns the name in names that word most likely meant to be
// (a prefix of it, or a few letters off), or "" if none comes near.
func nearest(word string, names []string) string {
	best, bestD := "", 3 // at most two edits away
	for _, n := range names {
		d := editdist.Distance([]rune(word), []rune(n))
		if len(word) >= 3 && strings.HasPrefix(n, word) {
			d = 1
		}
		if d < bestD || d == bestD && n < best {
			best, bestD = n, d
		}
	}
	return best
}
