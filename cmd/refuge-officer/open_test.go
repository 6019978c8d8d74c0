package main

import "testing"

// TestPrintable checks that text from a bundle cannot drive the officer's
// terminal: control characters (escape sequences, carriage returns, bidi
// controls are not printable) are replaced.
func TestPrintable(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		want string
	}{
		{desc: "plain", in: "report.pdf", want: "report.pdf"},
		{desc: "scripts kept", in: "مرحبا/письмо/证据.txt", want: "مرحبا/письмо/证据.txt"},
		{desc: "escape sequence", in: "a\x1b[2Jb", want: "a\uFFFD[2Jb"},
		{desc: "carriage return", in: "ok\rEVIL", want: "ok\uFFFDEVIL"},
		{desc: "newline", in: "a\nb", want: "a\uFFFDb"},
		{desc: "tab kept", in: "a\tb", want: "a\tb"},
		{desc: "bidi override", in: "gpj.\u202eexe", want: "gpj.\uFFFDexe"},
		{desc: "nul", in: "a\x00b", want: "a\uFFFDb"},
	}
	for _, tc := range tests {
		if got := printable(tc.in); got != tc.want {
			t.Errorf("%s: printable(%q) = %q, want %q", tc.desc, tc.in, got, tc.want)
		}
	}
}
