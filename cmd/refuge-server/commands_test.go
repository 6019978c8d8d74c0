package main

import (
	"strings"
	"testing"

	"refuge/internal/cli/clitest"
)

// TestCommandTable checks every subcommand of the tables that dispatch
// them (token, publish; token's add, revoke, list): each runs by its name,
// and a near miss of its name suggests it.
func TestCommandTable(t *testing.T) {
	paths := append(clitest.Paths(nil, subcommands.Names()...), clitest.Paths([]string{"token"}, tokenCommands.Names()...)...)
	clitest.CheckCommands(t, "refuge-server", paths, func(args ...string) (int, string, string) {
		var stdout, stderr strings.Builder
		code := run(args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	})
}
