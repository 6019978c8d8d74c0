package main

import (
	"strings"
	"testing"
)

// TestCommandTable checks every command and manifest subcommand of the
// tables that dispatch them: each runs by its name (its --help is its
// own), and a near miss of its name (two letters swapped) suggests it.
func TestCommandTable(t *testing.T) {
	var words [][]string
	for _, name := range commands.Names() {
		words = append(words, []string{name})
	}
	for _, name := range manifestCommands.Names() {
		words = append(words, []string{"manifest", name})
	}
	for _, w := range words {
		name := strings.Join(w, " ")
		t.Run(name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(append(w, "--help"), strings.NewReader(""), &stdout, &stderr)
			if code != exitOK || !strings.Contains(stdout.String(), "refuge-officer "+name) || stderr.Len() != 0 {
				t.Fatalf("refuge-officer %s --help: exit %d\nstdout: %s\nstderr: %s", name, code, stdout.String(), stderr.String())
			}
			last := w[len(w)-1]
			miss := last[1:2] + last[:1] + last[2:]
			if miss == last {
				t.Fatalf("swapping the first two letters of %q leaves it as it is: near-miss it otherwise", last)
			}
			stdout.Reset()
			stderr.Reset()
			code = run(append(w[:len(w)-1:len(w)-1], miss), strings.NewReader(""), &stdout, &stderr)
			if want := `hint: did you mean "refuge-officer ` + name + `"?`; code != exitUsage || !strings.Contains(stderr.String(), want) || stdout.Len() != 0 {
				t.Fatalf("refuge-officer %s: exit %d, want %d and %q\nstdout: %s\nstderr: %s", miss, code, exitUsage, want, stdout.String(), stderr.String())
			}
		})
	}
}
