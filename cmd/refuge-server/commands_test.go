package main

import (
	"strings"
	"testing"
)

// TestCommandTable checks every subcommand of the tables that dispatch
// them (token, publish; token's add, revoke, list): each runs by its name
// (a mistyped flag names it in the hint), and a near miss of its name (two
// letters swapped) suggests it.
func TestCommandTable(t *testing.T) {
	var words [][]string
	for _, name := range subcommands.Names() {
		words = append(words, []string{name})
	}
	for _, name := range tokenCommands {
		words = append(words, []string{"token", name})
	}
	for _, w := range words {
		name := strings.Join(w, " ")
		t.Run(name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(append(w, "--bogus"), &stdout, &stderr)
			if want := `hint: run "refuge-server ` + name + ` --help" for usage`; code != exitUsage || !strings.Contains(stderr.String(), want) || stdout.Len() != 0 {
				t.Fatalf("refuge-server %s --bogus: exit %d, want %d and %q\nstdout: %s\nstderr: %s", name, code, exitUsage, want, stdout.String(), stderr.String())
			}
			last := w[len(w)-1]
			miss := last[1:2] + last[:1] + last[2:]
			if miss == last {
				t.Fatalf("swapping the first two letters of %q leaves it as it is: near-miss it otherwise", last)
			}
			stdout.Reset()
			stderr.Reset()
			code = run(append(w[:len(w)-1:len(w)-1], miss), &stdout, &stderr)
			if want := `hint: did you mean "refuge-server ` + name + `"?`; code != exitUsage || !strings.Contains(stderr.String(), want) || stdout.Len() != 0 {
				t.Fatalf("refuge-server %s: exit %d, want %d and %q\nstdout: %s\nstderr: %s", miss, code, exitUsage, want, stdout.String(), stderr.String())
			}
		})
	}
}
