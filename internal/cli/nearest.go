package cli

import (
	"strings"
	"unicode/utf8"

	"refuge/internal/editdist"
)

// Nearest returns the name in names that word most likely meant: one that
// word begins (three letters at least), or one a letter or two off but not
// all of word's letters ("x" suggests nothing). It returns "" if none comes
// near, and the first in sort order of equally near ones.
func Nearest(word string, names []string) string {
	n := utf8.RuneCountInString(word)
	best, bestD := "", min(3, n) // at most two edits, fewer than word has letters
	for _, name := range names {
		d := editdist.Distance([]rune(word), []rune(name))
		if n >= 3 && strings.HasPrefix(name, word) {
			d = 1
		}
		if d < bestD || d == bestD && name < best {
			best, bestD = name, d
		}
	}
	return best
}

// UnknownCommand is the usage error of prog for a command word that is
// none of names (given in the order the hint lists them), with the one it
// most likely meant.
func UnknownCommand(prog, word string, names []string) *Error {
	ce := Usagef(prog, "unknown command %q", word)
	if near := Nearest(word, names); near != "" {
		ce.Hint("did you mean %q?", prog+" "+near)
	}
	return ce.Hint("commands: %s", strings.Join(names, ", "))
}
