package cli

import (
	"slices"
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
