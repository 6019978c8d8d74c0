package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"refuge/internal/cli/clitest"
)

// TestCommandTable checks every command and courier subcommand of the
// tables that dispatch them: each runs by its name, and a near miss of its
// name suggests it.
func TestCommandTable(t *testing.T) {
	paths := append(clitest.Paths(nil, commands.Names()...), clitest.Paths([]string{"courier"}, courierCommands.Names()...)...)
	clitest.CheckCommands(t, "refuge", paths, func(args ...string) (int, string, string) {
		stdout, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
		if err != nil {
			t.Fatal(err)
		}
		defer stdout.Close()
		var stderr strings.Builder
		code := run(args, strings.NewReader(""), stdout, &stderr, clientTuning{})
		out, err := os.ReadFile(stdout.Name())
		if err != nil {
			t.Fatal(err)
		}
		return code, string(out), stderr.String()
	})
}
