package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// progress shows how far long work has got. The work advances an atomic
// counter; a ticker prints it on standard error, only when standard error is
// a terminal and only after the first second, so short runs and scripts see
// nothing.
type progress struct {
	n     atomic.Int64
	total int64
	label string
	w     io.Writer
	stop  chan struct{}
	done  chan struct{}
}

// startProgress starts a progress display for work of total bytes.
func (e *env) startProgress(label string, total int64) *progress {
	p := &progress{total: total, label: label, w: e.stderr, stop: make(chan struct{}), done: make(chan struct{})}
	if !isTerminal(e.stderr) {
		close(p.done)
		return p
	}
	go p.run()
	return p
}

func (p *progress) run() {
	defer close(p.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	shown := false
	for {
		select {
		case <-p.stop:
			if shown {
				fmt.Fprintf(p.w, "\r%s\r", blank)
			}
			return
		case <-t.C:
			shown = true
			fmt.Fprintf(p.w, "\r%s: %s %s of %s (%d%%)   ", prog, p.label,
				humanSize(p.n.Load()), humanSize(p.total), percent(p.n.Load(), p.total))
		}
	}
}

// finish stops the display and clears its line.
func (p *progress) finish() {
	select {
	case <-p.done:
	default:
		close(p.stop)
		<-p.done
	}
}

const blank = "                                                                              "

func percent(n, total int64) int64 {
	if total <= 0 {
		return 100
	}
	return min(100, n*100/total)
}

func humanSize(n int64) string {
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
