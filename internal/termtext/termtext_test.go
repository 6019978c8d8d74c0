package termtext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLineAndText(t *testing.T) {
	tests := []struct {
		desc       string
		in         string
		line, text string
	}{
		{desc: "plain", in: "report.pdf", line: "report.pdf", text: "report.pdf"},
		{desc: "scripts kept", in: "مرحبا/письмо/证据.txt", line: "مرحبا/письмо/证据.txt", text: "مرحبا/письмо/证据.txt"},
		{desc: "zero width non-joiner kept (Persian)", in: "می\u200cخواهم", line: "می\u200cخواهم", text: "می\u200cخواهم"},
		{desc: "no-break space kept", in: "Bonjour\u00a0!", line: "Bonjour\u00a0!", text: "Bonjour\u00a0!"},
		{desc: "tab kept", in: "a\tb", line: "a\tb", text: "a\tb"},
		{desc: "newline", in: "a\nb", line: "a\uFFFDb", text: "a\nb"},
		{desc: "CRLF", in: "a\r\nb", line: "a\uFFFD\uFFFDb", text: "a\nb"},
		{desc: "carriage return", in: "ok\rEVIL", line: "ok\uFFFDEVIL", text: "ok\uFFFDEVIL"},
		{desc: "CSI clear screen", in: "a\x1b[2Jb", line: "a\uFFFD[2Jb", text: "a\uFFFD[2Jb"},
		{desc: "OSC window title", in: "\x1b]0;pwned\x07x", line: "\uFFFD]0;pwned\uFFFDx", text: "\uFFFD]0;pwned\uFFFDx"},
		{desc: "OSC 52 clipboard, ST end", in: "\x1b]52;c;ZXZpbA==\x1b\\", line: "\uFFFD]52;c;ZXZpbA==\uFFFD\\", text: "\uFFFD]52;c;ZXZpbA==\uFFFD\\"},
		{desc: "C1 CSI", in: "a\u009b2Jb", line: "a\uFFFD2Jb", text: "a\uFFFD2Jb"},
		{desc: "C1 OSC", in: "\u009d0;x\u009c", line: "\uFFFD0;x\uFFFD", text: "\uFFFD0;x\uFFFD"},
		{desc: "backspace and DEL", in: "ab\b\x7f", line: "ab\uFFFD\uFFFD", text: "ab\uFFFD\uFFFD"},
		{desc: "nul", in: "a\x00b", line: "a\uFFFDb", text: "a\uFFFDb"},
		{desc: "bidi override", in: "gpj.\u202eexe", line: "gpj.\uFFFDexe", text: "gpj.\uFFFDexe"},
		{desc: "bidi isolate", in: "\u2067x\u2069", line: "\uFFFDx\uFFFD", text: "\uFFFDx\uFFFD"},
		{desc: "line separator", in: "a\u2028b", line: "a\uFFFDb", text: "a\uFFFDb"},
		{desc: "invisible tag", in: "a\U000E0041b", line: "a\uFFFDb", text: "a\uFFFDb"},
		{desc: "invalid UTF-8, each byte", in: "a\xff\xfeb", line: "a\uFFFD\uFFFDb", text: "a\uFFFD\uFFFDb"},
		{desc: "C1 as a raw byte is invalid UTF-8", in: "a\x9bb", line: "a\uFFFDb", text: "a\uFFFDb"},
	}
	for _, tc := range tests {
		if got := Line(tc.in); got != tc.line {
			t.Errorf("%s: Line(%q) = %q, want %q", tc.desc, tc.in, got, tc.line)
		}
		if got := Text(tc.in); got != tc.text {
			t.Errorf("%s: Text(%q) = %q, want %q", tc.desc, tc.in, got, tc.text)
		}
	}
}

// FuzzText: whatever comes in, what Line and Text return is valid UTF-8
// and holds no character a terminal acts on; Text differs from Line only
// in the line breaks it keeps, and text without such characters is kept
// as it is.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain text", "a\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "a\r\nb\rc\n", "\u202egpj.exe", "\xff\xc3", "\u009b1m", "می\u200cخواهم\t!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		line, text := Line(s), Text(s)
		for _, out := range []string{line, text} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
			}
			for _, r := range out {
				if r != '\t' && r != '\n' && r != '\u200c' && r != '\u200d' && !unicode.IsGraphic(r) {
					t.Fatalf("%q kept %U", s, r)
				}
			}
		}
		if strings.Contains(line, "\n") {
			t.Fatalf("Line(%q) = %q holds a line break", s, line)
		}
		if strings.ReplaceAll(text, "\n", "\uFFFD") != Line(strings.ReplaceAll(s, "\r\n", "\n")) {
			t.Fatalf("Text(%q) = %q is not Line(%q) but for line breaks", s, text, s)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return Line(string(r)) != string(r) }) && line != s {
			t.Fatalf("Line(%q) = %q changed text a terminal shows as it is", s, line)
		}
	})
}

func TestCols(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		cols int
	}{
		{"empty", "", 0},
		{"ASCII", "refuge-server token add", 23},
		{"ellipsis, one rune of three bytes", "RWQ…", 4},
		{"tab at the start", "\tx", 9},
		{"tab to the next stop", "abc\tx", 9},
		{"tab at a stop", "12345678\tx", 17},
		{"two tabs", "a\t\tb", 17},
		{"wide", "证据.txt", 8},
		{"fullwidth", "\uff21", 2},
		{"combining mark", "e\u0301", 1},
		{"combining mark alone", "\u0301", 1},
		{"zero width joiner between emoji", "\U0001F469\u200d\U0001F4BB", 4},
		{"Persian with zero width non-joiner", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", 7},
	}
	for _, tc := range tests {
		if got := Cols(tc.in); got != tc.cols {
			t.Errorf("%s: Cols(%q) = %d, want %d", tc.desc, tc.in, got, tc.cols)
		}
	}
}
