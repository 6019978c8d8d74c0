package main

import (
	"os"

	"golang.org/x/term"

	"refuge/internal/cli"
)

// Exit codes of refuge-officer. They are part of the command-line contract
// (see usage and README.md).
const (
	exitOK      = 0               // success
	exitError   = cli.ExitFailure // the command failed; nothing was written
	exitUsage   = cli.ExitUsage   // bad command line
	exitPartial = 3               // open: at least one bundle failed or was flagged; the others were opened (or, OUTDIR full, not started)
	// cli.ExitInterrupted (130): Ctrl-C or SIGTERM (interrupt.go)
)

const prog = "refuge-officer"

// failf returns an error that exits with exitError.
func failf(format string, args ...any) *cli.Error {
	return cli.Errorf(exitError, format, args...)
}

// usagef returns an error that exits with exitUsage and points to the
// --help of cmd.
func usagef(cmd, format string, args ...any) *cli.Error {
	return cli.Usagef(prog+" "+cmd, format, args...)
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
