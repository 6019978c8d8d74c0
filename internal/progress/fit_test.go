package progress

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Lines as the meter makes them: a transfer with bytes on their way
// (ASCII), the opening of a bundle whose name is Chinese and Japanese
// (two columns a character), and one whose Vietnamese name is written
// with combining marks (decomposed, as macOS gives names: "e" then U+0302
// and U+0303 show as one "ễ").
var (
	asciiLine = transferFields("refuge", "upload", 1<<20, 4<<20, 512<<10, 96<<10, true)
	wideLine  = workFields("refuge-officer", "opening 证据文件夹/報告書.age:", 1<<20, 4<<20)
	marksLine = workFields("refuge-officer", "opening Nguye\u0302\u0303n Va\u0306n/a\u0309nh.age:", 1<<20, 4<<20)
)

func TestFit(t *testing.T) {
	tests := []struct {
		desc   string
		fields []field
		cols   int
		want   string
	}{
		{"ascii", asciiLine, 200, "refuge: upload 1.0 MiB of 4.0 MiB confirmed (25%), 512.0 KiB/s, 6s left; 96.0 KiB on its way"},
		{"ascii", asciiLine, 80, "refuge: upload 1.0 MiB of 4.0 MiB confirmed (25%), 6s left; 96.0 KiB on its way"},
		{"ascii", asciiLine, 40, "upload (25%); 96.0 KiB on its way"},
		{"ascii", asciiLine, 20, "upload (25%)"},
		{"ascii", asciiLine, 10, "upl… (25%)"},
		{"ascii", asciiLine, 1, "("},

		{"wide", wideLine, 200, "refuge-officer: opening 证据文件夹/報告書.age: 1.0 MiB of 4.0 MiB (25%)"},
		{"wide", wideLine, 80, "refuge-officer: opening 证据文件夹/報告書.age: 1.0 MiB of 4.0 MiB (25%)"},
		{"wide", wideLine, 40, "opening 证据文件夹/報告書.age: (25%)"},
		// 13 columns for the label: "opening " and two characters (12),
		// the ellipsis; a third character would take two more.
		{"wide", wideLine, 20, "opening 证据… (25%)"},
		{"wide", wideLine, 10, "ope… (25%)"},
		{"wide", wideLine, 1, "("},

		{"marks", marksLine, 200, "refuge-officer: opening Nguye\u0302\u0303n Va\u0306n/a\u0309nh.age: 1.0 MiB of 4.0 MiB (25%)"},
		{"marks", marksLine, 80, "refuge-officer: opening Nguye\u0302\u0303n Va\u0306n/a\u0309nh.age: 1.0 MiB of 4.0 MiB (25%)"},
		{"marks", marksLine, 40, "opening Nguye\u0302\u0303n Va\u0306n/a\u0309nh.age: (25%)"},
		// The marks stay with their "e": 13 columns, not 13 characters.
		{"marks", marksLine, 20, "opening Nguye\u0302\u0303… (25%)"},
		{"marks", marksLine, 10, "ope… (25%)"},
		{"marks", marksLine, 1, "("},

		{"nothing bigger than the line", asciiLine, 0, ""},
		{"below zero", asciiLine, -3, ""},
		// A name that came from outside cannot drive the terminal, nor
		// make the line wider than it counts: a tab becomes a space.
		{"hostile label", workFields("refuge-officer", "a\tb\x1b[2J\rc\xff", 1, 4), 200, "refuge-officer: a b\uFFFD[2J\uFFFDc\uFFFD 1 B of 4 B (25%)"},
		{"label ellipsis only", workFields("p", "label", 1, 4), 7, "… (25%)"},
		{"label dropped", workFields("p", "label", 1, 4), 5, "(25%)"},
	}
	for _, tc := range tests {
		got := fit(tc.cols, tc.fields)
		if got != tc.want {
			t.Errorf("%s at %d columns:\n got %q\nwant %q", tc.desc, tc.cols, got, tc.want)
		}
		if n := colsOf(got); n > max(tc.cols, 0) {
			t.Errorf("%s at %d columns: %q takes %d", tc.desc, tc.cols, got, n)
		}
	}
}

// A line that fits is the line printed off a terminal, to the byte.
func TestFitWhole(t *testing.T) {
	for _, fs := range [][]field{asciiLine, wideLine, marksLine} {
		if got, want := fit(1000, fs), join(fs); got != want {
			t.Errorf("fit changed a line that fits: %q, want %q", got, want)
		}
	}
}

func TestColsOf(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"upload", 6},
		{"证据", 4},
		{"報告書", 6},
		{"ｆｕｌｌ", 8},    // fullwidth Latin
		{"e\u0301", 1}, // combining acute
		{"Nguye\u0302\u0303n", 6},
		{"Привет", 6}, // East Asian ambiguous: one column
		{"…", 1},
		{"😀", 2},
		{"👍🏽", 4},            // with its skin tone, counted as a terminal that does not join them
		{"می\u200cخواهم", 7}, // zero width non-joiner
		{"\xff", 1},          // shows as U+FFFD
	}
	for _, tc := range tests {
		if got := colsOf(tc.s); got != tc.want {
			t.Errorf("colsOf(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		s    string
		cols int
		want string
	}{
		{"upload", 3, "upl"},
		{"a证据", 2, "a"}, // never half a wide character
		{"证据", 3, "证"},
		{"e\u0301e\u0301", 1, "e\u0301"}, // a mark stays with its base
		{"xe\u0302\u0303", 1, "x"},       // and two marks
		{"a\u200db", 1, ""},              // characters joined by a zero width joiner go together
		{"👍🏽x", 3, ""},                   // a skin tone stays with its emoji
		{"\u0301abc", 2, "\u0301a"},      // a mark with nothing before it
		{"ab\xffcd", 3, "ab\xff"},        // invalid UTF-8, one byte at a time
		{"证", 1, ""},
		{"upload", 0, ""},
	}
	for _, tc := range tests {
		if got := cut(tc.s, tc.cols); got != tc.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.s, tc.cols, got, tc.want)
		}
	}
}

// FuzzFit: whatever the label and the width, the line is no wider than
// the width, valid UTF-8, holds nothing a terminal acts on and no tab;
// the label is whole, or a start of it that ends between a character and
// the next (never inside a UTF-8 sequence, never before a combining mark)
// followed by the ellipsis, or gone.
func FuzzFit(f *testing.F) {
	for _, s := range []string{"upload", "opening 证据文件夹/報告書.age:", "Nguye\u0302\u0303n", "\u0301\u0301", "a\u200d😀", "\t\x1b[2J", "\xe8\xaf", "   x"} {
		for _, cols := range []int{1, 10, 20, 40, 80, 200} {
			f.Add(s, cols)
		}
	}
	f.Fuzz(func(t *testing.T, label string, cols int) {
		cols = cols % 300
		const tail = " (25%)"
		got := fit(cols, []field{{text: label, label: true}, {text: tail}})
		if n := colsOf(got); n > max(cols, 0) {
			t.Fatalf("fit(%d, %q) = %q takes %d columns", cols, label, got, n)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("fit(%d, %q) = %q is not valid UTF-8", cols, label, got)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r == '\t' || !unicode.IsGraphic(r) && r != '\u200c' && r != '\u200d' }) {
			t.Fatalf("fit(%d, %q) = %q holds a character a terminal acts on, or a tab", cols, label, got)
		}
		shown := strings.Map(func(r rune) rune {
			if r == '\t' {
				return ' '
			}
			if r == utf8.RuneError || !unicode.IsGraphic(r) && r != '\u200c' && r != '\u200d' {
				return '\uFFFD'
			}
			return r
		}, label)
		head, ok := strings.CutSuffix(got, tail)
		switch {
		case !ok:
			if !strings.HasPrefix(strings.TrimPrefix(tail, " "), got) {
				t.Fatalf("fit(%d, %q) = %q: neither the label nor the start of the rest", cols, label, got)
			}
		case head == shown:
		default:
			start, ok := strings.CutSuffix(head, ellipsis)
			if !ok || !strings.HasPrefix(shown, start) {
				t.Fatalf("fit(%d, %q) = %q: the label is not %q, nor a start of it and an ellipsis", cols, label, got, shown)
			}
			if r, _ := utf8.DecodeRuneInString(shown[len(start):]); start != "" && unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) {
				t.Fatalf("fit(%d, %q) = %q parts %U from the character before it", cols, label, got, r)
			}
		}
	})
}
