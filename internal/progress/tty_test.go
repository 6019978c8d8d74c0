//go:build linux

package progress

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"refuge/internal/ptytest"
)

// TestRedrawFitsTheTerminal redraws the line of a bundle being opened at
// a real terminal, resized between redraws: each redraw fits the window
// as it is then, but its last column, counting wide characters two and
// combining marks none; a terminal whose width is unknown (0 columns)
// gets no more than 80.
func TestRedrawFitsTheTerminal(t *testing.T) {
	tt := ptytest.Open(t)
	tty := tt.TTY()
	label := "opening 证据文件夹/報告書/Nguye\u0302\u0303n Va\u0306n/a\u0309nh/2026-11-30 访谈记录.age:"
	// Built as Start builds it on a terminal, without the ticker, so
	// that the test draws every line itself.
	m := &Meter{prog: "refuge-officer", label: label, total: 4 << 20, mode: TerminalOnly, w: tty, tty: true, fd: int(tty.Fd()), startVal: -1}
	m.N.Store(1 << 20)
	sizes := []uint16{0, 200, 80, 40, 20, 10, 1}
	for _, cols := range sizes {
		tt.SetSize(24, cols)
		m.print(false)
	}
	out := tt.Output()
	redraws := strings.Split(out, "\r\033[K")
	if redraws[0] != "" || len(redraws) != len(sizes)+1 {
		t.Fatalf("want %d redraws, got %q", len(sizes), out)
	}
	for i, cols := range sizes {
		line, limit := redraws[i+1], int(cols)
		if cols == 0 {
			limit = 80
		}
		if n := colsOf(line); n >= limit || strings.ContainsAny(line, "\r\n") {
			t.Errorf("at %d columns the line drawn takes %d: %q", cols, n, line)
		}
	}
	if full := join(workFields("refuge-officer", label, 1<<20, 4<<20)); redraws[2] != full {
		t.Errorf("at 200 columns the line is %q, want it whole: %q", redraws[2], full)
	}
}

// TestRedraws: a line is redrawn only on a terminal; a pipe, a file or a
// buffer get plain lines (Start's tty is false there).
func TestRedraws(t *testing.T) {
	tt := ptytest.Open(t)
	if !Redraws(tt.TTY()) {
		t.Error("a pseudo-terminal does not count as one that redraws")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, w := range map[string]io.Writer{"pipe": w, "file": f, "buffer": new(bytes.Buffer)} {
		if Redraws(w) {
			t.Errorf("a %s counts as a terminal that redraws", name)
		}
		if m := Start(w, "refuge", "x", 10, Always); m.tty {
			t.Errorf("Start on a %s redraws", name)
		} else {
			m.Finish()
		}
	}
}
