package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestOutput(t *testing.T) {
	var b strings.Builder
	o := Output{Prog: "refuge", W: &b}
	o.Infof("sealed %d file(s)", 2)
	o.Warnf("%s is empty", "note.txt")
	o.Hintf("run again")
	o.Infof("100%% done, %s", "%d stays") // verbs in arguments are not expanded
	want := "refuge: sealed 2 file(s)\nrefuge: warning: note.txt is empty\nrefuge: hint: run again\nrefuge: 100% done, %d stays\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestOutputTerminalSafe: what a message quotes from outside (a server's
// answer, a name from a bundle, an error that repeats them) cannot drive
// the terminal or forge a line of output: escape sequences, C1 controls,
// line breaks, carriage returns and bidi overrides are replaced by U+FFFD,
// in messages, warnings, hints and errors alike.
func TestOutputTerminalSafe(t *testing.T) {
	hostile := "a\x1b]0;title\x07b\u009b2J\rc\nrefuge: forged\u202ed\xff"
	safe := "a\uFFFD]0;title\uFFFDb\uFFFD2J\uFFFDc\uFFFDrefuge: forged\uFFFDd\uFFFD"
	var b strings.Builder
	o := Output{Prog: "refuge", W: &b}
	o.Infof("got %s", hostile)
	o.Warnf("%s", hostile)
	o.Hintf("%s", hostile)
	o.Fail(Errorf(1, "%s", hostile).Hint("%s", hostile))
	o.Fail(errors.New(hostile))
	want := "refuge: got " + safe + "\nrefuge: warning: " + safe + "\nrefuge: hint: " + safe + "\n" +
		"refuge: error: " + safe + "\nrefuge: hint: " + safe + "\nrefuge: error: " + safe + "\n"
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestFail(t *testing.T) {
	for _, tc := range []struct {
		desc string
		err  error
		code int
		out  string
	}{
		{"plain error", errors.New("disk full"), ExitFailure, "p: error: disk full\n"},
		{"usage error", Usagef("p open", "missing -o"), ExitUsage,
			"p: error: missing -o\np: hint: run \"p open --help\" for usage\n"},
		{"wrapped Error", fmt.Errorf("context: %w", Errorf(3, "refused").Hint("h")), 3, "p: error: refused\np: hint: h\n"},
		{"code 0 still fails", &Error{Msg: "odd"}, ExitFailure, "p: error: odd\n"},
		{"no error", nil, 0, ""},
		{"empty message", errors.New(""), ExitFailure, "p: error: \n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var b strings.Builder
			if code := (Output{Prog: "p", W: &b}).Fail(tc.err); code != tc.code || b.String() != tc.out {
				t.Fatalf("exit %d, want %d; printed %q, want %q", code, tc.code, b.String(), tc.out)
			}
		})
	}
}
