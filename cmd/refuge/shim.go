// Command refuge is the network client of Refuge for defenders, partners
// and couriers: submit, status, replies, relay, courier pull and push.
//
// This file is a stand-in for the officer branch's main.go and output
// helper until they are merged; it mirrors their shape (env, commands,
// cliError, output) so that the commands plug into them unchanged.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const prog = "refuge"

const usage = `refuge: the Refuge client for defenders, partners and couriers.

Usage:
    refuge init --server URL --root-pub KEY
    refuge submit [--note-file F] [--receipt-out F] FILE...
    refuge status
    refuge replies [-o DIR]
    refuge relay --token T BUNDLE...
    refuge courier pull --token T -o DIR
    refuge courier push --token T DIR

Run "refuge COMMAND --help" for the flags and examples of a command.

Exit codes:
    0   success
    1   the command failed
    2   bad command line
    3   the key manifest was refused; nothing was encrypted or sent
    4   the network failed after retries; run the same command again to resume`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	out            output
}

var commands = map[string]func(e *env, args []string) error{
	"init":    cmdInit,
	"submit":  cmdSubmit,
	"status":  cmdStatus,
	"replies": cmdReplies,
	"relay":   cmdRelay,
	"courier": cmdCourier,
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, out: output{stderr}}
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
		return e.out.fail(usagef("", "unknown command %q", args[0]))
	}
	err := cmd(e, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return e.out.fail(err)
	}
	return exitOK
}

func (e *env) newFlags(name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() { fmt.Fprintln(e.stdout, help) }
	return fs
}

func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		if err != nil {
			return nil, usagef(fs.Name(), "%v", err)
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

type cliError struct {
	code  int
	msg   string
	hints []string
}

func (e *cliError) Error() string { return e.msg }

func failf(format string, args ...any) *cliError {
	return &cliError{code: exitError, msg: fmt.Sprintf(format, args...)}
}

func usagef(cmd, format string, args ...any) *cliError {
	e := &cliError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
	return e.hint("run %q for usage", prog+" "+cmd+" --help")
}

func (e *cliError) hint(format string, args ...any) *cliError {
	e.hints = append(e.hints, fmt.Sprintf(format, args...))
	return e
}

type output struct{ w io.Writer }

func (o output) infof(format string, args ...any) {
	fmt.Fprintf(o.w, prog+": "+format+"\n", args...)
}

func (o output) warnf(format string, args ...any) {
	fmt.Fprintf(o.w, prog+": warning: "+format+"\n", args...)
}

func (o output) hintf(format string, args ...any) {
	fmt.Fprintf(o.w, prog+": hint: "+format+"\n", args...)
}

func (o output) fail(err error) int {
	var ce *cliError
	if !errors.As(err, &ce) {
		ce = &cliError{code: exitError, msg: err.Error()}
	}
	fmt.Fprintf(o.w, "%s: error: %s\n", prog, ce.msg)
	for _, h := range ce.hints {
		o.hintf("%s", h)
	}
	return ce.code
}
