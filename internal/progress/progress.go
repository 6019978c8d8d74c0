// Package progress shows how far long work has got, for the refuge and
// refuge-officer commands. The work advances an atomic counter ([Meter.N]);
// a ticker reads it and prints. It knows whether it talks to a terminal: there
// it redraws one line; elsewhere it stays silent or prints plain lines, as
// the [Mode] says, so logs and scripts stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// Mode says what a Meter prints when its writer is not a terminal.
type Mode int

const (
	// TerminalOnly prints nothing off a terminal, and on a terminal only
	// after the first second, clearing its line when done (sealing, opening).
	TerminalOnly Mode = iota
	// Always also prints a plain line every 10 s off a terminal, and a final
	// line in both cases (transfers that may take hours on a bad link).
	Always
)

// Meter reports one piece of work of a known total size in bytes.
type Meter struct {
	// N is the work done so far; the work adds to it from any goroutine.
	N atomic.Int64
	// Sending is work on its way but not yet done: for an upload, bytes
	// handed to the connection that the server has not acknowledged. It
	// is shown beside N ("…; 96.0 KiB sent, unconfirmed"), never added to it,
	// so that a slow link is seen to move without anything being counted
	// as arrived before it has.
	Sending atomic.Int64

	prog, label string
	total       int64
	mode        Mode
	w           io.Writer
	tty         bool
	began       time.Time // when Start was called, for the final line
	start       time.Time // when the ticker first looked, for the rate
	startVal    int64     // first value the ticker saw: a resumed transfer starts above zero
	shown       bool
	stop        chan struct{}
	once        sync.Once
	wg          sync.WaitGroup
}

// Start begins reporting on w (standard error) with the command's name prog.
func Start(w io.Writer, prog, label string, total int64, mode Mode) *Meter {
	m := &Meter{prog: prog, label: label, total: total, mode: mode, w: w, startVal: -1, stop: make(chan struct{}), began: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		m.tty = true
	}
	interval := 10 * time.Second
	switch {
	case m.tty && mode == TerminalOnly:
		interval = time.Second
	case m.tty:
		interval = 500 * time.Millisecond
	case mode == TerminalOnly:
		return m // nothing to print, ever
	}
	m.start = time.Now()
	m.wg.Add(1)
	go m.loop(interval)
	return m
}

func (m *Meter) loop(interval time.Duration) {
	defer m.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.print(false)
		case <-m.stop:
			return
		}
	}
}

// Finish stops the ticker and prints the final line (Always) or clears the
// progress line (TerminalOnly). Calling it again does nothing.
func (m *Meter) Finish() {
	m.once.Do(func() {
		close(m.stop)
		m.wg.Wait()
		switch {
		case m.mode == Always:
			m.print(true)
		case m.tty && m.shown:
			fmt.Fprint(m.w, "\r\033[K")
		}
	})
}

func (m *Meter) print(final bool) {
	done := m.N.Load()
	if m.startVal < 0 {
		m.startVal, m.start = done, time.Now()
	}
	elapsed := time.Since(m.start)
	var line string
	switch {
	case final && done < m.total:
		// Stopped short (an error, Ctrl-C): never worded like a success.
		line = fmt.Sprintf("%s: %s stopped at %s of %s (%d%%) after %s", m.prog, m.label, Size(done), Size(m.total),
			Percent(done, m.total), time.Since(m.began).Round(100*time.Millisecond))
	case final:
		line = fmt.Sprintf("%s: %s %s in %s", m.prog, m.label, Size(done), time.Since(m.began).Round(100*time.Millisecond))
	case m.mode == TerminalOnly:
		line = fmt.Sprintf("%s: %s %s of %s (%d%%)", m.prog, m.label, Size(done), Size(m.total), Percent(done, m.total))
	default:
		rate := 0.0
		if s := elapsed.Seconds(); s > 0 {
			rate = float64(done-m.startVal) / s
		}
		left := "?"
		if rate > 0 && done < m.total {
			left = time.Duration(float64(m.total-done) / rate * float64(time.Second)).Round(time.Second).String()
		}
		line = fmt.Sprintf("%s: %s %s / %s (%d%%), %s/s, %s left", m.prog, m.label,
			Size(done), Size(m.total), Percent(done, m.total), Size(int64(rate)), left)
		if s := m.Sending.Load(); s > 0 {
			line += fmt.Sprintf("; %s sent, unconfirmed", Size(s))
		}
	}
	m.shown = true
	if m.tty {
		fmt.Fprintf(m.w, "\r\033[K%s", line)
		if final {
			fmt.Fprintln(m.w)
		}
		return
	}
	fmt.Fprintln(m.w, line)
}

// Percent is n as a whole percentage of total, at most 100; 100 when total
// is zero or less.
func Percent(n, total int64) int64 {
	if total <= 0 {
		return 100
	}
	return min(100, n*100/total)
}

// Size formats a byte count for people: "512 B", "1.5 KiB", "3.0 GiB".
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
