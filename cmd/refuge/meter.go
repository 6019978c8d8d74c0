package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// meter reports a long transfer: an atomic counter that the work
// updates and a ticker that prints it. On a terminal it redraws one line
// (bytes, rate, time left); otherwise it prints a plain line every
// interval, so logs stay readable.
type meter struct {
	label    string
	total    int64
	done     atomic.Int64
	w        io.Writer
	tty      bool
	start    time.Time
	startVal int64 // first value seen by the ticker (-1 before)
	stop     chan struct{}
	wg       sync.WaitGroup
}

// startMeter begins reporting on w (standard error).
func startMeter(w io.Writer, label string, total int64) *meter {
	p := &meter{label: label, total: total, w: w, start: time.Now(), startVal: -1, stop: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	interval := 10 * time.Second
	if p.tty {
		interval = 500 * time.Millisecond
	}
	p.wg.Add(1)
	go p.loop(interval)
	return p
}

func (p *meter) loop(interval time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.print(false)
		case <-p.stop:
			return
		}
	}
}

// finish stops the ticker and prints the final line.
func (p *meter) finish() {
	close(p.stop)
	p.wg.Wait()
	p.print(true)
}

func (p *meter) print(final bool) {
	done := p.done.Load()
	if p.startVal < 0 {
		// A resumed transfer does not start at zero: the rate counts
		// only this run's bytes, from the first tick on.
		p.startVal, p.start = done, time.Now()
	}
	elapsed := time.Since(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done-p.startVal) / s
	}
	left := "?"
	if rate > 0 && done < p.total {
		left = time.Duration(float64(p.total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	pct := 100.0
	if p.total > 0 {
		pct = float64(done) * 100 / float64(p.total)
	}
	line := fmt.Sprintf("%s: %s %s / %s (%.0f%%), %s/s, %s left", prog, p.label, byteSize(done), byteSize(p.total), pct, byteSize(int64(rate)), left)
	if final {
		line = fmt.Sprintf("%s: %s %s in %s", prog, p.label, byteSize(done), elapsed.Round(100*time.Millisecond))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	fmt.Fprintln(p.w, line)
}

// size formats a byte count for people.
func byteSize(n int64) string {
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
