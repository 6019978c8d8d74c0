package main

import (
	"strings"
	"testing"

	"refuge/internal/cli/clitest"
)

// TestCommandTable checks every command and manifest subcommand of the
// tables that dispatch them: each runs by its name, and a near miss of its
// name suggests it.
func TestCommandTable(t *testing.T) {
	paths := append(clitest.Paths(nil, commands.Names()...), clitest.Paths([]string{"manifest"}, manifestCommands.Names()...)...)
	clitest.CheckCommands(t, "refuge-officer", paths, func(args ...string) (int, string, string) {
		var stdout, stderr strings.Builder
		code := run(args, strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	})
}
