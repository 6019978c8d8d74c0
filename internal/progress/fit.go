package progress

import (
	"strings"
	"unicode"

	"refuge/internal/termtext"
)

// A progress line redrawn with "\r\033[K" must fit on one row of the
// terminal: a line that wraps leaves all but its last row behind at each
// redraw, and the screen fills with them. So on a terminal the line is
// made of fields, and fit drops the least important ones until it fits.

// field is one part of a progress line.
type field struct {
	text string
	// drop is the order in which fit drops the field to make the line
	// fit: 1 first; 0 never.
	drop int
	// label marks the label, which fit shortens with an ellipsis, and at
	// the very last drops, once every field it may drop is gone.
	label bool
}

// join is the line the fields make in full, as printed off a terminal.
func join(fields []field) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f.text)
	}
	return b.String()
}

// ellipsis ends a shortened label.
const ellipsis = "…"

// fit returns the line the fields make, no wider than cols columns of a
// terminal: in full if it fits; else without the fields it may drop, the
// least important first, as many as it takes; then with the label
// shortened to what fits, ending in an ellipsis; then without the label;
// and if even that is too wide (a terminal a few columns wide), cut at
// cols. Columns are counted as a terminal shows the text (see [colsOf]),
// never bytes; a cut is made between characters a terminal draws apart,
// never inside a UTF-8 sequence or a combining sequence. What it returns
// holds no character a terminal acts on (see [termtext.Line]), and no
// tab, whose width depends on where it falls: it becomes a space.
func fit(cols int, fields []field) string {
	cols = max(cols, 0)
	fs := make([]field, 0, len(fields))
	for _, f := range fields {
		f.text = strings.ReplaceAll(termtext.Line(f.text), "\t", " ")
		fs = append(fs, f)
	}
	if line := join(fs); colsOf(line) <= cols {
		return line
	}
	last := 0
	for _, f := range fs {
		last = max(last, f.drop)
	}
	for order := 1; order <= last; order++ {
		kept := fs[:0:0]
		for _, f := range fs {
			if f.drop != order {
				kept = append(kept, f)
			}
		}
		fs = kept
		if line := join(fs); colsOf(line) <= cols {
			return line
		}
	}
	line := join(fs)
	for i, f := range fs {
		if !f.label {
			continue
		}
		room := cols - (colsOf(line) - colsOf(f.text))
		if room >= colsOf(ellipsis) {
			fs[i].text = cut(f.text, room-colsOf(ellipsis)) + ellipsis
			return join(fs)
		}
		// Without the label, the line may begin with the space that
		// parted the next field from it.
		line = strings.TrimLeft(join(append(fs[:i:i], fs[i+1:]...)), " ")
		break
	}
	return cut(line, cols)
}

// cut returns the longest start of s no wider than cols columns that
// ends between two clusters (see [clusters]).
func cut(s string, cols int) string {
	n, end := 0, 0
	for _, c := range clusters(s) {
		n += colsOf(c)
		if n > cols {
			break
		}
		end += len(c)
	}
	return s[:end]
}

// clusters splits s into what a terminal draws as one: a character with
// the combining marks (and variation selectors) that follow it, emoji
// skin tone modifiers, and characters joined by a zero width joiner or
// non-joiner. Invalid UTF-8 is one cluster per byte. It is no full
// grapheme segmentation, but never parts a mark from its base.
func clusters(s string) []string {
	var out []string
	start, joined := 0, false
	for i, r := range s {
		if i > start && !joined && !extends(r) {
			out = append(out, s[start:i])
			start = i
		}
		joined = r == '\u200d' || r == '\u200c'
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// extends reports whether r belongs with the character before it.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) ||
		r == '\u200d' || r == '\u200c' ||
		r >= 0x1f3fb && r <= 0x1f3ff // emoji skin tone modifiers
}

// colsOf is how many columns a terminal takes to show s, which holds no
// tab (see [termtext.Cols]). East Asian ambiguous characters (Cyrillic,
// Greek, the ellipsis) count 1, as most terminals show them; where they
// count 2, the column a redrawn line leaves free (see Meter.cols) takes
// the one ellipsis a line may hold.
func colsOf(s string) int { return termtext.Cols(s) }
