package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandTable checks every command and courier subcommand of the
// tables that dispatch them: each runs by its name (its --help is its
// own), and a near miss of its name (two letters swapped) suggests it.
func TestCommandTable(t *testing.T) {
	var words [][]string
	for _, name := range commands.Names() {
		words = append(words, []string{name})
	}
	for _, name := range courierCommands.Names() {
		words = append(words, []string{"courier", name})
	}
	for _, w := range words {
		name := strings.Join(w, " ")
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runInProcess(t, append(w, "--help")...)
			if code != exitOK || !strings.Contains(stdout, "refuge "+name) || stderr != "" {
				t.Fatalf("refuge %s --help: exit %d\nstdout: %s\nstderr: %s", name, code, stdout, stderr)
			}
			last := w[len(w)-1]
			miss := last[1:2] + last[:1] + last[2:]
			if miss == last {
				t.Fatalf("swapping the first two letters of %q leaves it as it is: near-miss it otherwise", last)
			}
			code, stdout, stderr = runInProcess(t, append(w[:len(w)-1:len(w)-1], miss)...)
			if want := `hint: did you mean "refuge ` + name + `"?`; code != exitUsage || !strings.Contains(stderr, want) || stdout != "" {
				t.Fatalf("refuge %s: exit %d, want %d and %q\nstdout: %s\nstderr: %s", miss, code, exitUsage, want, stdout, stderr)
			}
		})
	}
}

// runInProcess runs refuge's run with args and no input, and returns its
// exit code and what it wrote.
func runInProcess(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	stdout, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	var stderr strings.Builder
	code := run(args, strings.NewReader(""), stdout, &stderr)
	out, err := os.ReadFile(stdout.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(out), stderr.String()
}
