package main

import (
	"errors"

	"refuge/crypto/secrets"
	"refuge/internal/cli"
)

// Exit codes of refuge. They are part of the command-line contract (see
// usage and README.md).
const (
	exitOK       = 0               // success
	exitError    = cli.ExitFailure // the command failed; nothing was written
	exitUsage    = cli.ExitUsage   // bad command line
	exitManifest = 3               // the key manifest was refused (bad signature, expired, rolled back, …)
)

const prog = "refuge"

// failf returns an error that exits with exitError.
func failf(format string, args ...any) *cli.Error {
	return cli.Errorf(exitError, format, args...)
}

// promptFail is the error of a prompt that failed with err: the
// interruption (exit 130) when Ctrl-C or SIGTERM stopped it, or else
// failf(format, err).
func promptFail(format string, err error) *cli.Error {
	var stopped *secrets.InterruptedError
	if errors.As(err, &stopped) {
		return cli.Interrupted(stopped.Signal)
	}
	return failf(format, err)
}

// usagef returns an error that exits with exitUsage and points to the
// --help of cmd.
func usagef(cmd, format string, args ...any) *cli.Error {
	return cli.Usagef(prog+" "+cmd, format, args...)
}

// phraseArgs is the error of status and replies given arguments: most
// often the receipt phrase, typed where other programs (ps) and the
// shell's history see it. The arguments are not repeated.
func phraseArgs(cmd string) *cli.Error {
	return usagef(cmd, "%s takes no arguments: it asks for the receipt phrase at a prompt, where no one else can read it", cmd).
		Hint("if you typed your phrase on the command line, it may be in your shell's history: clear it (bash: history -c; or close this terminal window)")
}
