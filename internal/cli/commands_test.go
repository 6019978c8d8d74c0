package cli

import (
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
