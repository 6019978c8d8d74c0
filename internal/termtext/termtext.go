// Package termtext renders text that came from outside the program (a
// server's message, a decrypted bundle's note or names, an officer's
// reply) for a person's terminal, so that such text cannot drive it.
//
// # Guarantee
//
// What [Line] and [Text] return holds no character that a terminal acts
// on rather than shows, and no character that hides or reorders the text
// around it: every C0 and C1 control character (so no ESC, and with it no
// CSI or OSC sequence: nothing that moves the cursor, clears the screen,
// sets the window title or the clipboard), DEL, carriage return, the line
// and paragraph separators, and every Unicode format character (bidi
// embeddings, overrides and isolates, soft hyphen, invisible tags) is
// replaced by U+FFFD (�), one for each; so is each byte of invalid UTF-8.
// The replacement is visible, so a reader sees that something was there,
// and it cannot be mistaken for a character of the text. Letters, marks,
// digits, punctuation, symbols and spaces of every script are kept, as
// are tab and zero width non-joiner and joiner (U+200C, U+200D), which
// Persian, Urdu, the Indic scripts and emoji need and which neither hide
// nor reorder anything.
//
// What is rendered is for display only: a copy saved to a file stays as
// it came.
package termtext

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Line returns s as one line for a terminal: a line break is replaced too.
func Line(s string) string {
	return strings.Map(func(r rune) rune { return keep(r, false) }, s)
}

// Text returns s, which may span lines, for a terminal: line breaks
// ("\n", and "\r\n", which becomes "\n") are kept; a carriage return
// alone, which would let a line be written over, is not.
func Text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune { return keep(r, true) }, s)
}

// Shown reports whether a terminal shows r as it is, so that [Line]
// keeps it: a letter, mark, digit, punctuation, symbol or space of any
// script (not a line or paragraph separator), tab, or zero width
// non-joiner or joiner. Tests of text bound for a terminal check what
// they print with it.
func Shown(r rune) bool {
	switch {
	case r == '\t', r == '\u200c', r == '\u200d':
		return true
	}
	return unicode.IsGraphic(r) // L, M, N, P, S and Zs: not Zl, Zp, C*
}

// keep returns r if a terminal shows it as it is, else U+FFFD. strings.Map
// gives invalid UTF-8 as utf8.RuneError, one byte at a time, and writes
// U+FFFD for it.
func keep(r rune, lines bool) rune {
	if Shown(r) || r == '\n' && lines {
		return r
	}
	return unicode.ReplacementChar
}

// Cols returns how many columns a terminal takes to show line, one line of
// text it shows as it is (see [Shown]): a tab moves to the next multiple of
// 8, an East Asian wide or fullwidth character takes 2, a combining mark
// and a zero width joiner or non-joiner after another character take none,
// and every other character 1. Where terminals differ it counts the wider,
// so that text that fits by Cols fits on each: emoji joined by a zero width
// joiner count as each emoji, and a mark with nothing before it counts 1,
// as a terminal that shows it on a dotted circle does. Tests of help texts
// check with it that they fit a terminal 80 columns wide.
func Cols(line string) int {
	n := 0
	for i, r := range line {
		switch {
		case r == '\t':
			n += 8 - n%8
		case i > 0 && (unicode.In(r, unicode.Mn, unicode.Me) || r == '\u200d' || r == '\u200c'):
		case wide(r):
			n += 2
		default:
			n++
		}
	}
	return n
}

// wide reports whether an East Asian terminal, and every other, shows r
// two columns wide.
func wide(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth
}
