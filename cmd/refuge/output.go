package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes of refuge. They are part of the command-line contract (see
// usage and README.md).
const (
	exitOK       = 0 // success
	exitError    = 1 // the command failed; nothing was written
	exitUsage    = 2 // bad command line
	exitManifest = 3 // the key manifest was refused (bad signature, expired, rolled back, …)
)

const prog = "refuge"

// cliError is an error meant for the person at the terminal: a message,
// optional hint lines, and the exit code.
type cliError struct {
	code  int
	msg   string
	hints []string
	cause error // for errors.Is, when the caller must tell this failure apart
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.cause }

// failf returns an error that exits with exitError.
func failf(format string, args ...any) *cliError {
	return &cliError{code: exitError, msg: fmt.Sprintf(format, args...)}
}

// usagef returns an error that exits with exitUsage and points to --help.
func usagef(cmd, format string, args ...any) *cliError {
	e := &cliError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
	return e.hint("run %q for usage", helpCommand(cmd))
}

// helpCommand is the command line that shows cmd's help (the program's
// when cmd is "").
func helpCommand(cmd string) string {
	if cmd == "" {
		return prog + " --help"
	}
	return prog + " " + cmd + " --help"
}

// phraseArgs is the error of status and replies given arguments: most
// often the receipt phrase, typed where other programs (ps) and the
// shell's history see it. The arguments are not repeated.
func phraseArgs(cmd string) *cliError {
	return usagef(cmd, "%s takes no arguments: it asks for the receipt phrase at a prompt, where no one else can read it", cmd).
		hint("if you typed your phrase on the command line, it may be in your shell's history: clear it (bash: history -c; or close this terminal window)")
}

func (e *cliError) hint(format string, args ...any) *cliError {
	e.hints = append(e.hints, fmt.Sprintf(format, args...))
	return e
}

// output writes messages to stderr, each prefixed with the program name.
type output struct{ w io.Writer }

func (o output) infof(format string, args ...any) {
	fmt.Fprintf(o.w, prog+": "+format+"\n", args...)
}

func (o output) hintf(format string, args ...any) {
	fmt.Fprintf(o.w, prog+": hint: "+format+"\n", args...)
}

// fail prints err with its hints and returns the exit code for it.
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
