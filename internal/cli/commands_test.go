package cli

import (
	"fmt"
	"slices"
	"testing"
)

func TestCommands(t *testing.T) {
	cs := Commands[int]{{Name: "pull", Run: 1}, {Name: "push", Run: 2}}
	if !slices.Equal(cs.Names(), []string{"pull", "push"}) {
		t.Fatalf("names %q", cs.Names())
	}
	for _, tc := range []struct {
		word string
		run  int
		ok   bool
	}{
		{"pull", 1, true}, {"push", 2, true},
		{"", 0, false}, {"pul", 0, false}, {"Pull", 0, false}, {"pull ", 0, false}, {"-h", 0, false},
	} {
		if run, ok := cs.Lookup(tc.word); run != tc.run || ok != tc.ok {
			t.Errorf("Lookup(%q) = %d, %v; want %d, %v", tc.word, run, ok, tc.run, tc.ok)
		}
	}
	var none Commands[func()]
	if run, ok := none.Lookup("pull"); run != nil || ok || len(none.Names()) != 0 {
		t.Fatal("an empty table finds a command")
	}
}

// TestHelpFirst rewrites help asked in words before a command into the
// --help of that command, and refuses a word that is no command, naming
// the commands and the one meant.
func TestHelpFirst(t *testing.T) {
	cs := Commands[int]{{Name: "pull", Run: 1}, {Name: "push", Run: 2}}
	for _, tc := range []struct{ args, want []string }{
		{nil, nil},
		{[]string{"pull", "help"}, []string{"pull", "help"}}, // Parse's to answer
		{[]string{"help"}, []string{"--help"}},
		{[]string{"help", "pull"}, []string{"pull", "--help"}},
		{[]string{"help", "push", "--token", "T", "DIR"}, []string{"push", "--token", "T", "DIR", "--help"}},
		{[]string{"--token", "help"}, []string{"--token", "help"}},
	} {
		got, ce := cs.HelpFirst("refuge courier", tc.args)
		if ce != nil || !slices.Equal(got, tc.want) {
			t.Errorf("HelpFirst(%q) = %q, %v; want %q", tc.args, got, ce, tc.want)
		}
	}
	for _, tc := range []struct {
		word  string
		hints []string
	}{
		{"pul", []string{`did you mean "refuge courier help pull"?`, `run "refuge courier --help" for usage`}},
		{"--token", []string{`run "refuge courier --help" for usage`}},
		{"\x1b[2J", []string{`run "refuge courier --help" for usage`}},
		{"help", []string{`run "refuge courier --help" for usage`}},
	} {
		got, ce := cs.HelpFirst("refuge courier", []string{"help", tc.word, "pull"})
		if got != nil || ce == nil || ce.Code != ExitUsage || ce.Msg != fmt.Sprintf("no command %q has help (pull, push)", tc.word) || !slices.Equal(ce.Hints, tc.hints) {
			t.Errorf("HelpFirst(help %q) = %q, %+v", tc.word, got, ce)
		}
	}
}
