package secrets

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/awnumar/memguard"
)

// InterruptedError is the error of [ReadSecretLine] (and so of
// [ReadPassphrase]) when Ctrl-C (SIGINT) or SIGTERM came while it waited.
// The terminal is back as it was and the prompt line is ended; nothing
// typed is kept. The program should now wind down, wipe its secrets
// (the purge of [Init]) and exit: the programs here exit 130 and say that
// they were interrupted.
type InterruptedError struct {
	Signal os.Signal
}

func (e *InterruptedError) Error() string { return "interrupted by " + e.Signal.String() }

// interrupts is the state of the handler of CatchInterrupt: a process
// receives signals once, so there is one.
var interrupts struct {
	start sync.Once
	ch    chan os.Signal

	mu       sync.Mutex
	prompts  int  // prompts open (ReadSecretLine): they take the signals
	stopping bool // a prompt was interrupted: the process is winding down
	// windDown ends the context of Interruptible at the first signal;
	// nil when none is open or it has ended.
	windDown context.CancelCauseFunc
	// woundDown: the context of Interruptible was ended by a signal; the
	// next signal exits at once.
	woundDown bool
}

// exitInterrupted is the status of a process that a second signal stopped
// while it wound down, as shells report a process that SIGINT stopped
// (and as the programs here exit after an interruption).
const exitInterrupted = 130

// CatchInterrupt sets the process's handler of Ctrl-C (SIGINT): it wipes
// every memguard buffer and exits with status 1, as memguard's own
// (memguard.CatchInterrupt) did, except while a prompt waits: the prompt
// then restores the terminal and returns an [*InterruptedError], and the
// handler leaves the signal, and any that follow, to the program winding
// down. SIGTERM is not caught outside a prompt, but while a command winds
// down gracefully ([Interruptible]).
//
// [Init] calls it. A command that set another handler for a while
// (memguard.CatchSignal, signal.Notify) calls it to put this one back.
func CatchInterrupt() {
	startHandler()
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	signal.Notify(interrupts.ch, os.Interrupt)
}

func startHandler() {
	interrupts.start.Do(func() {
		interrupts.ch = make(chan os.Signal, 2)
		go handleInterrupts(interrupts.ch)
	})
}

func handleInterrupts(ch <-chan os.Signal) {
	for sig := range ch {
		interrupts.mu.Lock()
		switch {
		case interrupts.prompts > 0 || interrupts.stopping:
			// A prompt takes it, or the program winds down after one.
		case interrupts.windDown != nil:
			interrupts.windDown(&InterruptedError{Signal: sig})
			interrupts.windDown, interrupts.woundDown = nil, true
		case interrupts.woundDown:
			memguard.SafeExit(exitInterrupted)
		default:
			// With the lock held: no prompt turns echo off meanwhile.
			memguard.SafeExit(1)
		}
		interrupts.mu.Unlock()
	}
}

// Interruptible lets a command wind down at Ctrl-C (SIGINT) or SIGTERM
// instead of exiting at once: until stop, the first of them ends ctx,
// whose cause ([context.Cause]) is an [*InterruptedError] naming it. The
// command stops its work where it is safe to (a partial output removed,
// what was finished kept), says what it finished and what not, and
// returns; the program wipes its secrets (the purge of [Init]) and exits,
// with status 130 here. A second signal, while it winds down, wipes every
// memguard buffer and exits with status 130 at once: what a kill would
// leave is left. A prompt open meanwhile ([ReadSecretLine]) takes the
// signals as ever.
//
// stop ends ctx (with no signal as its cause, if none came) and puts the
// handler of [CatchInterrupt] back; it may be called more than once. One
// Interruptible at a time.
func Interruptible() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	startHandler()
	interrupts.mu.Lock()
	interrupts.windDown = cancel
	interrupts.mu.Unlock()
	signal.Notify(interrupts.ch, os.Interrupt, syscall.SIGTERM)
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			interrupts.mu.Lock()
			interrupts.windDown = nil
			interrupts.mu.Unlock()
			cancel(nil)
			CatchInterrupt()
		})
	}
}

// InterruptSignal returns the signal that ended ctx, a context of
// [Interruptible], or nil: no signal ended it (or ctx is nil).
func InterruptSignal(ctx context.Context) os.Signal {
	var stopped *InterruptedError
	if ctx != nil && errors.As(context.Cause(ctx), &stopped) {
		return stopped.Signal
	}
	return nil
}

// promptSignals catches SIGINT and SIGTERM while a prompt waits, and
// turns them into a readable pipe, which the prompt's poll watches beside
// the terminal.
type promptSignals struct {
	sigs   chan os.Signal
	caught chan os.Signal
	wake   *os.File // readable once a signal came
	wakeW  *os.File
	done   chan struct{}
	ended  chan struct{}
}

// catchPromptSignals starts catching; the handler of CatchInterrupt
// leaves signals to the prompt until stop. The prompt catches before it
// counts itself open, so that a signal in between still meets the handler
// (the terminal is not changed yet), and stop counts it closed before it
// lets go.
func catchPromptSignals() (*promptSignals, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p := &promptSignals{sigs: make(chan os.Signal, 1), caught: make(chan os.Signal, 1),
		wake: r, wakeW: w, done: make(chan struct{}), ended: make(chan struct{})}
	signal.Notify(p.sigs, os.Interrupt, syscall.SIGTERM)
	interrupts.mu.Lock()
	interrupts.prompts++
	interrupts.mu.Unlock()
	go func() {
		defer close(p.ended)
		select {
		case sig := <-p.sigs:
			p.caught <- sig
			w.Write([]byte{0}) // #nosec G104 -- a full pipe is readable too
		case <-p.done:
		}
	}()
	return p, nil
}

// stop ends the catching and returns the signal that came while it was
// on, or nil. The prompt must have restored the terminal: a signal from
// now on may go to the handler of CatchInterrupt, which exits at once.
func (p *promptSignals) stop() os.Signal {
	close(p.done)
	<-p.ended
	interrupts.mu.Lock()
	var sig os.Signal
	select {
	case sig = <-p.caught:
	case sig = <-p.sigs:
	default:
	}
	interrupts.prompts--
	if sig != nil {
		interrupts.stopping = true
	}
	interrupts.mu.Unlock()
	signal.Stop(p.sigs)
	p.wake.Close()
	p.wakeW.Close()
	return sig
}
