package main

import (
	"context"
	"os"

	"refuge/crypto/secrets"
	"refuge/internal/cli"
)

// exitInterrupted is the exit code after Ctrl-C (or SIGTERM), as shells
// report a process that SIGINT stopped.
const exitInterrupted = cli.ExitInterrupted

// interruptible returns a context that ends at the first Ctrl-C or
// SIGTERM (secrets.Interruptible). The command then winds down instead of
// stopping dead (an upload keeps its state, a partial file is removed),
// and run says that it was interrupted, by what, and what the same
// command does when run again (resume, the hint given here). A second
// signal wipes the secrets and exits at once.
func (e *env) interruptible(resume string) (context.Context, func()) {
	ctx, stop := secrets.Interruptible()
	e.signals, e.resumeHint = ctx, resume
	return ctx, stop
}

// signal returns the signal that ended the context of interruptible, or
// nil (none did: it was not made, or its stop function ended it).
func (e *env) signal() os.Signal { return secrets.InterruptSignal(e.signals) }

// interrupted reports whether a signal ended the context of interruptible.
func (e *env) interrupted() bool { return e.signal() != nil }

// interruptedError is what a command stopped by a signal returns, whatever
// error its winding down produced. The message names the signal: a script
// stopped by its supervisor (SIGTERM: a service stopped, a time limit)
// was not interrupted by someone at the keyboard.
func (e *env) interruptedError() error {
	err := cli.Interrupted(e.signal())
	if e.resumeHint != "" {
		err.Msg += "; nothing is lost"
		err.Hint("%s", e.resumeHint)
	}
	return err
}
