package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// exitInterrupted is the exit code after Ctrl-C (or SIGTERM), as shells
// report a process that SIGINT stopped.
const exitInterrupted = 130

// interruptible returns a context that ends at the first Ctrl-C or
// SIGTERM. The command then winds down instead of stopping dead (an
// upload keeps its state, a partial file is removed), and run says that
// it was interrupted and what the same command does when run again
// (resume, the hint given here). A second Ctrl-C stops the process at
// once; secrets are only ever in locked memory, which the system frees.
//
// memguard's own handler (secrets.Init) would exit at the first Ctrl-C,
// with status 1 and without a word: it is replaced here.
func (e *env) interruptible(resume string) (context.Context, func()) {
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e.signals, e.resumeHint = ctx, resume
	context.AfterFunc(ctx, stop) // the next signal acts as if no one caught it
	return ctx, stop
}

// interrupted reports whether a signal ended the context of interruptible
// (and not its stop function, whose cause is plain context.Canceled).
func (e *env) interrupted() bool {
	return e.signals != nil && e.signals.Err() != nil && context.Cause(e.signals) != context.Canceled //nolint:errorlint // identity: a signal's cause also matches Canceled
}

// interruptedError is what a command interrupted by Ctrl-C returns,
// whatever error its winding down produced.
func (e *env) interruptedError() error {
	err := &cliError{code: exitInterrupted, msg: "interrupted (Ctrl-C)"}
	if e.resumeHint != "" {
		err.msg += "; nothing is lost"
		err.hint("%s", e.resumeHint)
	}
	return err
}
