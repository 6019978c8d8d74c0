package cli

import (
	"regexp"
	"slices"
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
// most likely meant; a flag in the command's place is told it is one.
func UnknownCommand(prog, word string, names []string) *Error {
	if len(word) > 1 && word[0] == '-' {
		// "refuge --server URL": the flags belong to a command, which
		// comes first.
		return Usagef(prog, "%q is not a command: write the command first, then its flags", word).
			Hint("commands: %s", strings.Join(names, ", "))
	}
	ce := Usagef(prog, "unknown command %q", word)
	if near := Nearest(word, names); near != "" {
		ce.Hint("did you mean %q?", prog+" "+near)
	}
	return ce.Hint("commands: %s", strings.Join(names, ", "))
}

// CommandAfterFlags is the usage error of command (the words that run it:
// "refuge", "refuge courier") whose args begin with a flag and name one of
// names only later ("refuge --server URL status"): the flags belong to the
// command, which comes first. It returns nil when args do not begin with a
// flag or name no command before a "--". The hint shows the command and the
// first flag's name, never a value given with it.
func CommandAfterFlags(command string, args, names []string) *Error {
	if len(args) == 0 || len(args[0]) < 2 || args[0][0] != '-' {
		return nil
	}
	for _, a := range args[1:] {
		if a == "--" {
			return nil
		}
		if !slices.Contains(names, a) {
			continue
		}
		first := ""
		if name, _, _ := strings.Cut(args[0], "="); flagName.MatchString(name) {
			first = " " + name
		}
		return Errorf(ExitUsage, "%q is a command, and comes before any flag", a).
			Hint("write the command first, then its flags: %s %s%s …", command, a, first)
	}
	return nil
}

// flagName is what a flag's name looks like; anything else is not echoed.
var flagName = regexp.MustCompile(`^--?[a-z][a-z0-9-]{0,39}$`)
