package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Exit codes of refuge-officer. They are part of the command-line contract
// (see usage and README.md).
const (
	exitOK      = 0 // success
	exitError   = 1 // the command failed; nothing was written
	exitUsage   = 2 // bad command line
	exitPartial = 3 // open: at least one bundle failed or was flagged; the others were opened
)

const prog = "refuge-officer"

// cliError is an error meant for the person at the terminal: a message,
// optional hint lines, and the exit code.
type cliError struct {
	code  int
	msg   string
	hints []string
}

func (e *cliError) Error() string { return e.msg }

// failf returns an error that exits with exitError.
func failf(format string, args ...any) *cliError {
	return &cliError{code: exitError, msg: fmt.Sprintf(format, args...)}
}

// usagef returns an error that exits with exitUsage and points to the
// --help of cmd, or of the program when cmd is "".
func usagef(cmd, format string, args ...any) *cliError {
	e := &cliError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
	help := prog + " --help"
	if cmd != "" {
		help = prog + " " + cmd + " --help"
	}
	return e.hint("run %q for usage", help)
}

func (e *cliError) hint(format string, args ...any) *cliError {
	e.hints = append(e.hints, fmt.Sprintf(format, args...))
	return e
}

// output writes messages to stderr, each prefixed with the program name.
// Standard output is reserved for results (keys, recipients).
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

// printed names a result that the command has just printed on standard
// output (a recipient, a public key), for the hint that follows it: "X
// above" at a terminal, or "X (written to standard output)" when standard
// output is a file or a pipe ("keygen -o officer.key > officer.pub"), where
// nothing is above on the screen.
func (e *env) printed(what string) string {
	if f, ok := e.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return what + " above"
	}
	return what + " (written to standard output)"
}
