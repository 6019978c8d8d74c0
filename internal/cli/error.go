// Package cli is the command-line plumbing the Refuge programs share: an
// error that carries its exit code and hint lines, the messages on standard
// error with the program's name in front, flag parsing that lets flags come
// after the arguments and answers a mistyped flag with one line and a
// "did you mean", the matcher behind those suggestions, and the table of a
// program's commands that both its dispatch and its suggestions read.
//
// What a program prints is its own: each keeps its usage text, its further
// exit codes and its wording; this package only makes the shape of a
// message the same in every program:
//
//	refuge-officer: error: unknown flag --outbx
//	refuge-officer: hint: did you mean --outbox?
//	refuge-officer: hint: run "refuge-officer open --help" for usage
package cli

import (
	"fmt"
	"os"
	"syscall"
)

// Exit codes that every program here gives the same meaning; each program
// documents its own further codes.
const (
	ExitFailure = 1 // the command failed
	ExitUsage   = 2 // bad command line
	// ExitInterrupted: stopped by Ctrl-C (SIGINT) or SIGTERM, as shells
	// report a process that SIGINT stopped.
	ExitInterrupted = 130
)

// Error is an error meant for the person at the terminal: one line saying
// what failed, hint lines saying what to do, and the exit code.
type Error struct {
	Code  int      // the exit code; 0 counts as ExitFailure
	Msg   string   // what failed, lowercase, without "error:"
	Hints []string // what to do about it, a line each
	Cause error    // for errors.Is and errors.As, when a caller must tell this failure apart; not printed
}

// Errorf returns an Error that exits with code.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Usagef returns an Error for a bad command line: it exits with ExitUsage
// and points to the help of command, the words that run it ("refuge-officer
// open").
func Usagef(command, format string, args ...any) *Error {
	return Errorf(ExitUsage, format, args...).Hint("run %q for usage", command+" --help")
}

// Interrupted returns the Error of a command that the signal sig stopped
// (ExitInterrupted). It names the signal: a command stopped by its
// supervisor (SIGTERM: a service stopped, a time limit) was not
// interrupted by someone at the keyboard.
func Interrupted(sig os.Signal) *Error {
	msg := "interrupted (Ctrl-C)"
	if sig == syscall.SIGTERM {
		msg = "stopped by SIGTERM"
	}
	return &Error{Code: ExitInterrupted, Msg: msg}
}

// Hint adds a hint line to e and returns e.
func (e *Error) Hint(format string, args ...any) *Error {
	e.Hints = append(e.Hints, fmt.Sprintf(format, args...))
	return e
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Cause }

// BadRootPub is the usage error of command (the words that run it:
// "refuge seal") for a --root-pub that is not a minisign public key, in the
// same words in every program. It repeats nothing of what was given, and no
// parser's detail ("illegal base64 data at input byte 56"): what helps is
// what a root key looks like and where to copy it from.
func BadRootPub(command string) *Error {
	return Usagef(command, `--root-pub is not a root public key: that is one line of 56 letters, digits, "+" and "/", beginning "RW"`).
		Hint("copy it again exactly as the officers published it (their root.pub); a character may have been lost or added")
}
