package main

import (
	"bytes"
	"testing"
)

func TestHumanSize(t *testing.T) {
	tests := []struct {
		desc string
		n    int64
		want string
	}{
		{desc: "zero", n: 0, want: "0 B"},
		{desc: "bytes", n: 1023, want: "1023 B"},
		{desc: "kibibyte", n: 1024, want: "1.0 KiB"},
		{desc: "mebibytes", n: 5 << 20, want: "5.0 MiB"},
		{desc: "gibibytes", n: 3<<30 + 1<<29, want: "3.5 GiB"},
	}
	for _, tc := range tests {
		if got := humanSize(tc.n); got != tc.want {
			t.Errorf("%s: humanSize(%d) = %q, want %q", tc.desc, tc.n, got, tc.want)
		}
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		desc     string
		n, total int64
		want     int64
	}{
		{desc: "start", n: 0, total: 10, want: 0},
		{desc: "half", n: 5, total: 10, want: 50},
		{desc: "over", n: 20, total: 10, want: 100},
		{desc: "no total", n: 5, total: 0, want: 100},
	}
	for _, tc := range tests {
		if got := percent(tc.n, tc.total); got != tc.want {
			t.Errorf("%s: percent(%d, %d) = %d, want %d", tc.desc, tc.n, tc.total, got, tc.want)
		}
	}
}

// TestProgressSilentOffTerminal checks that scripts (stderr not a terminal)
// never see progress output.
func TestProgressSilentOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	e := &env{stderr: &buf}
	p := e.startProgress("sealing", 100)
	p.n.Add(50)
	p.finish()
	p.finish() // idempotent
	if buf.Len() != 0 {
		t.Errorf("progress printed %q off a terminal", buf.String())
	}
}
