// Package progress shows how far long work has got, for the refuge and
// refuge-officer commands. The work advances an atomic counter ([Meter.N]);
// a ticker reads it and prints. It knows whether it talks to a terminal: there
// it redraws one line, fitted to the terminal's width as it is at each
// redraw; elsewhere it stays silent or prints plain lines, as the [Mode]
// says, so logs and scripts stay readable.
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
	// is shown beside N ("…; 96.0 KiB on its way"), never added to it,
	// so that a slow link is seen at work without anything being counted
	// as arrived, or even as gone out, before it has.
	Sending atomic.Int64

	prog, label string
	total       int64
	mode        Mode
	upload      bool // the line says "confirmed" (StartUpload)
	w           io.Writer
	tty         bool
	fd          int       // of w, when tty: its width is asked at each redraw
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
	return start(w, prog, label, total, mode, false)
}

// StartUpload is Start for an upload, in the Always mode: its line says
// that the work done is what the server confirmed, and shows Sending.
func StartUpload(w io.Writer, prog, label string, total int64) *Meter {
	return start(w, prog, label, total, Always, true)
}

func start(w io.Writer, prog, label string, total int64, mode Mode, upload bool) *Meter {
	m := &Meter{prog: prog, label: label, total: total, mode: mode, upload: upload, w: w, startVal: -1, stop: make(chan struct{}), began: time.Now()}
	if Redraws(w) {
		m.tty, m.fd = true, int(w.(*os.File).Fd())
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
	var fields []field
	switch {
	case final && done < m.total:
		// Stopped short (an error, Ctrl-C): never worded like a success.
		fields = []field{{text: fmt.Sprintf("%s: %s stopped at %s of %s (%d%%) after %s", m.prog, m.label, Size(done), Size(m.total),
			Percent(done, m.total), time.Since(m.began).Round(100*time.Millisecond))}}
	case final:
		fields = []field{{text: fmt.Sprintf("%s: %s %s in %s", m.prog, m.label, Size(done), time.Since(m.began).Round(100*time.Millisecond))}}
	case m.mode == TerminalOnly:
		fields = workFields(m.prog, m.label, done, m.total)
	default:
		// The rate is that of confirmed bytes since the first look, and
		// is not known before the server has confirmed some: bytes handed
		// to the connection may sit in buffers on this device or a proxy
		// (Tor) long before they leave, and "0 B/s" read as stuck while
		// a slow link carried the first chunk.
		rate := int64(0)
		if s := elapsed.Seconds(); s > 0 && done > m.startVal {
			rate = max(int64(float64(done-m.startVal)/s), 1)
		}
		fields = transferFields(m.prog, m.label, done, m.total, rate, m.Sending.Load(), m.upload)
	}
	line := join(fields)
	if m.tty && !final {
		// The final line is written once and ended: it may wrap as any
		// message does, and is shown whole.
		line = fit(m.cols(), fields)
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

// workFields is the progress line of work that shows only at a terminal
// (sealing, opening): "refuge: sealing 1.0 MiB of 4.0 MiB (25%)". On a
// narrow terminal the total goes first, then the command's name, then
// the work done; the percentage stays.
func workFields(prog, label string, done, total int64) []field {
	return []field{
		{text: prog + ": ", drop: 2},
		{text: label, label: true},
		{text: " " + Size(done), drop: 3},
		{text: " of " + Size(total), drop: 1},
		{text: fmt.Sprintf(" (%d%%)", Percent(done, total))},
	}
}

// transferFields is the progress line of a transfer: what is done of the
// total (for an upload, what the server confirmed, and said so), the rate
// and the time left (or, at a rate of 0, that the speed is being
// measured), and what is on its way but not yet confirmed (when sending
// is above zero):
//
//	refuge: upload 1.0 MiB of 4.0 MiB confirmed (25%), 512.0 KiB/s, 6s left; 96.0 KiB on its way
//	refuge: upload 0 B of 4.0 MiB confirmed (0%), measuring the speed; 256.0 KiB on its way
//
// On a narrow terminal the rate goes first, then the total, the command's
// name, the word "confirmed", the bytes done, the time left; last of all
// the bytes on their way, which show a slow link at work while the server
// has confirmed nothing. The percentage stays.
func transferFields(prog, label string, done, total, rate, sending int64, upload bool) []field {
	fields := []field{
		{text: prog + ": ", drop: 3},
		{text: label, label: true},
		{text: " " + Size(done), drop: 5},
		{text: " of " + Size(total), drop: 2},
	}
	if upload {
		fields = append(fields, field{text: " confirmed", drop: 4})
	}
	fields = append(fields, field{text: fmt.Sprintf(" (%d%%)", Percent(done, total))})
	switch {
	case rate <= 0:
		fields = append(fields, field{text: ", measuring the speed", drop: 1})
	case done < total:
		left := time.Duration(float64(total-done) / float64(rate) * float64(time.Second)).Round(time.Second)
		fields = append(fields, field{text: ", " + Size(rate) + "/s", drop: 1}, field{text: ", " + left.String() + " left", drop: 6})
	default:
		fields = append(fields, field{text: ", " + Size(rate) + "/s", drop: 1})
	}
	if sending > 0 {
		fields = append(fields, field{text: "; " + Size(sending) + " on its way", drop: 7})
	}
	return fields
}

// unknownCols is the width taken for a terminal whose width cannot be
// learned (a serial console, a pseudo-terminal never given a size).
const unknownCols = 80

// cols is how many columns a redrawn line may take: the terminal's width
// now (the window may have been resized since the last redraw), but the
// last column. A line that fills the last column wraps at once on some
// terminals (the Windows console among them), and "\r" then returns to
// the start of the new row, not of the line.
func (m *Meter) cols() int {
	if w, _, err := term.GetSize(m.fd); err == nil && w > 0 {
		return w - 1
	}
	return unknownCols - 1
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
