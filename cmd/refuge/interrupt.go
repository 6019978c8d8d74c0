package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"refuge/internal/cli"
)

// exitInterrupted is the exit code after Ctrl-C (or SIGTERM), as shells
// report a process that SIGINT stopped.
const exitInterrupted = cli.ExitInterrupted

// interruptible returns a context that ends at the first Ctrl-C or
// SIGTERM. The command then winds down instead of stopping dead (an
// upload keeps its state, a partial file is removed), and run says that
// it was interrupted, by what, and what the same command does when run
// again (resume, the hint given here). A second signal stops the process
// at once; secrets are only ever in locked memory, which the system frees.
//
// The handler of secrets.Init would exit at the first Ctrl-C, with status
// 1 and without a word: it is replaced here. (A prompt without echo
// catches the signals itself: see secrets.ReadSecretLine.)
func (e *env) interruptible(resume string) (context.Context, func()) {
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(signalled{sig})
		case <-done:
		}
		signal.Stop(ch) // the next signal acts as if no one caught it
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() { close(done) })
		cancel(nil)
	}
	e.signals, e.resumeHint = ctx, resume
	return ctx, stop
}

// signalled is the cause of the context of interruptible when a signal
// ended it.
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return s.sig.String() + " signal received" }

// signal returns the signal that ended the context of interruptible, or
// nil (none did: it was not made, or its stop function ended it).
func (e *env) signal() os.Signal {
	if e.signals == nil {
		return nil
	}
	var s signalled
	if errors.As(context.Cause(e.signals), &s) {
		return s.sig
	}
	return nil
}

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
