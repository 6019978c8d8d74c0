package main

import (
	"context"
	"fmt"

	"refuge/crypto/secrets"
	"refuge/internal/cli"
)

// The long commands (open, reply) wind down at Ctrl-C or SIGTERM rather
// than exit at once: they run under secrets.Interruptible, stop what they
// read or write when its context ends (closing the file, so that even a
// read waiting on a pipe ends), leave nothing half done (open's staging
// folder and reply's temporary file are removed, as after any failure),
// say what was finished and what not, and exit 130. The purge of run then
// wipes the secrets. A second signal wipes them and exits at once, which
// leaves what a kill would (see "open --help").

// stopped returns the error of a command that a signal stopped, ctx being
// the context of secrets.Interruptible: the signal's words (cli.Interrupted),
// then what format says of what was done. It returns nil when no signal
// came.
func stopped(ctx context.Context, format string, args ...any) *cli.Error {
	sig := secrets.InterruptSignal(ctx)
	if sig == nil {
		return nil
	}
	err := cli.Interrupted(sig)
	err.Msg += ": " + fmt.Sprintf(format, args...)
	return err
}
