//go:build linux

package secrets

import (
	"errors"
	"io"
	"os"
	"syscall"
	"testing"

	"refuge/internal/ptytest"
)

// TestReadSecretLine reads a line typed at a real terminal: the line comes
// without its newline, the next line typed ahead stays for the next read,
// and the terminal has its settings back.
func TestReadSecretLine(t *testing.T) {
	tt := ptytest.Open(t)
	tt.Type("first line\nsecond")
	tt.WaitFor("second") // echoed: the terminal holds both
	line, err := ReadSecretLine(tt.TTY(), io.Discard, "prompt: ")
	if err != nil || string(line) != "first line" {
		t.Fatalf("ReadSecretLine = %q, %v; want %q", line, err, "first line")
	}
	if err := tt.Restored(); err != nil {
		t.Error(err)
	}
	if p := tt.Pending(); p != "second" {
		t.Errorf("pending at the terminal: %q, want %q (the line typed ahead)", p, "second")
	}
}

// promptSeen is a writer that says when the prompt has been written.
type promptSeen chan struct{}

func (p promptSeen) Write(b []byte) (int, error) {
	select {
	case p <- struct{}{}:
	default:
	}
	return len(b), nil
}

// TestReadSecretLineSignal sends SIGTERM to this process while
// ReadSecretLine waits: it returns an *InterruptedError naming it, with
// the terminal's settings back and what was typed of the line dropped.
func TestReadSecretLineSignal(t *testing.T) {
	tt := ptytest.Open(t)
	tt.Type("half a line")
	tt.WaitFor("half a line")
	seen := make(promptSeen, 1)
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result)
	go func() {
		line, err := ReadSecretLine(tt.TTY(), seen, "prompt: ")
		done <- result{line, err}
	}()
	<-seen // the prompt is shown once the signals are caught
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-done
	var stopped *InterruptedError
	if !errors.As(r.err, &stopped) || stopped.Signal != syscall.SIGTERM || r.line != nil {
		t.Fatalf("ReadSecretLine = %q, %v; want an InterruptedError for SIGTERM", r.line, r.err)
	}
	if err := tt.Restored(); err != nil {
		t.Error(err)
	}
	if p := tt.Pending(); p != "" {
		t.Errorf("%q was left at the terminal", p)
	}
}
