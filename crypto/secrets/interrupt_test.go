//go:build unix

package secrets

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// waitLimit bounds the waits below. It is not a synchronisation: a
// signal not handled by then is a failure, reported instead of hanging.
const waitLimit = 30 * time.Second

// TestInterruptible: while Interruptible is on, SIGINT and SIGTERM end its
// context, the cause naming the signal, instead of ending the process;
// stop ends the context with no signal as its cause.
func TestInterruptible(t *testing.T) {
	// A prompt interrupted by an earlier test (or by an earlier round of
	// this one, under -count) left the process winding down, as it would
	// a real one: start afresh, as a new process does.
	resetWindDown()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		ctx, stop := Interruptible()
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(waitLimit):
			t.Fatalf("%v did not end the context", sig)
		}
		var stopped *InterruptedError
		if got := InterruptSignal(ctx); got != sig || !errors.As(context.Cause(ctx), &stopped) {
			t.Errorf("InterruptSignal = %v, cause %v; want %v", got, context.Cause(ctx), sig)
		}
		stop()
		stop()
		resetWindDown()
	}
	ctx, stop := Interruptible()
	stop()
	if ctx.Err() == nil || InterruptSignal(ctx) != nil {
		t.Errorf("after stop: %v, signal %v; want ended by no signal", ctx.Err(), InterruptSignal(ctx))
	}
	//lint:ignore SA1012 a command with no Interruptible has a nil context, and asks all the same
	if InterruptSignal(nil) != nil {
		t.Error("InterruptSignal(nil) is not nil")
	}
}

// resetWindDown forgets that a signal ended a context of Interruptible,
// or a prompt, as a new process would.
func resetWindDown() {
	interrupts.mu.Lock()
	interrupts.woundDown, interrupts.stopping = false, false
	interrupts.mu.Unlock()
}

// TestInterruptibleSecondSignal: a second signal, while the command winds
// down after the first, exits at once with status 130; after stop,
// SIGTERM is not caught (the process dies by it), as before Interruptible.
func TestInterruptibleSecondSignal(t *testing.T) {
	tests := []struct {
		child string
		want  func(ws syscall.WaitStatus) bool
	}{
		{"twice", func(ws syscall.WaitStatus) bool { return ws.Exited() && ws.ExitStatus() == exitInterrupted }},
		{"stopped", func(ws syscall.WaitStatus) bool { return ws.Signaled() && ws.Signal() == syscall.SIGTERM }},
	}
	for _, tc := range tests {
		t.Run(tc.child, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptibleChild$")
			cmd.Env = append(os.Environ(), "SECRETS_INTERRUPT_CHILD="+tc.child)
			done := make(chan []byte, 1)
			go func() {
				b, _ := cmd.CombinedOutput()
				done <- b
			}()
			var out []byte
			select {
			case out = <-done:
			case <-time.After(waitLimit):
				t.Fatal("the child did not end")
			}
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !tc.want(ws) {
				t.Fatalf("the child ended with %v\n%s", cmd.ProcessState, out)
			}
		})
	}
}

// TestInterruptibleChild is the process TestInterruptibleSecondSignal
// signals; it signals itself.
func TestInterruptibleChild(t *testing.T) {
	child := os.Getenv("SECRETS_INTERRUPT_CHILD")
	if child == "" {
		return // run only as TestInterruptibleSecondSignal's child
	}
	ctx, stop := Interruptible()
	switch child {
	case "twice":
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		<-ctx.Done()
		syscall.Kill(os.Getpid(), syscall.SIGINT)
	case "stopped":
		stop()
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
	select {} // the signal ends the process (or the parent's limit does)
}
