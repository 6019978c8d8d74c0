package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestNearest(t *testing.T) {
	commands := []string{"init", "submit", "status", "replies", "seal", "refer", "relay", "courier"}
	flags := []string{"note-file", "receipt-out", "restart", "o", "i", "server"}
	mixed := []string{"submit", "status", "seal", "relay", "replies", "restart", "note-file", "receipt-out"}
	for _, tc := range []struct {
		word  string
		names []string
		want  string
	}{
		{"sumbit", commands, "submit"},  // a swap
		{"stauts", commands, "status"},  // a swap
		{"replys", commands, "replies"}, // two edits
		{"cour", commands, "courier"},   // a prefix
		{"rel", commands, "relay"},      // a prefix of relay, two edits from seal and refer: the prefix wins
		{"re", commands, ""},            // too short for a prefix, two edits from all but fewer letters than that
		{"frobnicate", commands, ""},    // nothing near
		{"submit", commands, "submit"},  // exact
		{"sea", commands, "seal"},       // prefix, also one edit
		{"rela", commands, "relay"},     // one edit from relay, a prefix of it
		{"submti", commands, "submit"},
		{"sael", commands, "seal"},
		{"replys", mixed, "replies"},
		{"receipt", mixed, "receipt-out"},
		{"restrat", mixed, "restart"},
		{"note", flags, "note-file"},                   // a prefix
		{"restrat", flags, "restart"},                  // a swap
		{"oo", flags, "o"},                             // one letter too many
		{"x", flags, ""},                               // one letter: changing it changes all of it
		{"", commands, ""},                             // empty
		{"", []string{""}, ""},                         // empty among empty
		{"sübmit", commands, "submit"},                 // unicode, one letter off
		{"ѕubmit", commands, "submit"},                 // Cyrillic s
		{"сервер", flags, ""},                          // another script
		{"init", nil, ""},                              // no names
		{"relax", []string{"relay", "relat"}, "relat"}, // a tie goes to the first in sort order
	} {
		if got := Nearest(tc.word, tc.names); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	names := []string{"keygen", "rootkey", "ackkey", "manifest", "open", "reply"}
	e := UnknownCommand("refuge-officer", "opn", names)
	want := []string{
		`run "refuge-officer --help" for usage`,
		`did you mean "refuge-officer open"?`,
		"commands: keygen, rootkey, ackkey, manifest, open, reply",
	}
	if e.Code != ExitUsage || e.Msg != `unknown command "opn"` || !slices.Equal(e.Hints, want) {
		t.Fatalf("%+v", e)
	}
	e = UnknownCommand("refuge-officer", "\x1b[2J", names)
	if e.Msg != `unknown command "\x1b[2J"` || len(e.Hints) != 2 {
		t.Fatalf("a control sequence for a command: %+v", e)
	}
}

// A command written after its flags ("refuge --server URL status") is
// named, with the order to write; the hint shows the first flag's name,
// never a value given with it, nor anything that is no flag name.
func TestCommandAfterFlags(t *testing.T) {
	names := []string{"init", "submit", "status", "courier"}
	const msg = `"status" is a command, and comes before any flag`
	for _, tc := range []struct {
		desc string
		args []string
		hint string // "": no error
	}{
		{"flag then command", []string{"--server", "http://127.0.0.1:8443", "status"}, "write the command first, then its flags: refuge status --server …"},
		{"a value in the flag", []string{"--token=0123456789abcdef", "status"}, "write the command first, then its flags: refuge status --token …"},
		{"one dash", []string{"-o", "dir", "status"}, "write the command first, then its flags: refuge status -o …"},
		{"a control sequence", []string{"-\x1b[2J", "status"}, "write the command first, then its flags: refuge status …"},
		{"a long flag", []string{"--" + strings.Repeat("a", 60), "status"}, "write the command first, then its flags: refuge status …"},
		{"a command first", []string{"status", "--server", "x"}, ""},
		{"no command at all", []string{"--server", "x"}, ""},
		{"after --", []string{"--server", "x", "--", "status"}, ""},
		{"a dash alone", []string{"-", "status"}, ""},
		{"nothing", nil, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			e := CommandAfterFlags("refuge", tc.args, names)
			if tc.hint == "" {
				if e != nil {
					t.Fatalf("got %+v, want nil", e)
				}
				return
			}
			if e == nil || e.Code != ExitUsage || e.Msg != msg || !slices.Equal(e.Hints, []string{tc.hint}) {
				t.Fatalf("got %+v, want %q and hint %q", e, msg, tc.hint)
			}
		})
	}
}

// A flag in a command's place, with no command after it, is told that it
// is a flag: "unknown command "--server"" would puzzle.
func TestUnknownCommandFlag(t *testing.T) {
	names := []string{"init", "submit", "status"}
	e := UnknownCommand("refuge", "--server", names)
	want := []string{`run "refuge --help" for usage`, "commands: init, submit, status"}
	if e.Code != ExitUsage || e.Msg != `"--server" is not a command: write the command first, then its flags` || !slices.Equal(e.Hints, want) {
		t.Fatalf("%+v", e)
	}
}
