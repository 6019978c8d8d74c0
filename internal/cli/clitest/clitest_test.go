package clitest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"refuge/internal/cli"
)

// toy is a program "toy" with the commands in table, whose unknown-command
// hint suggests among hinted; broken, if not nil, changes what it returns.
func toy(table cli.Commands[string], hinted []string, broken func(code int, stdout, stderr string) (int, string, string)) Run {
	return func(args ...string) (int, string, string) {
		code, stdout, stderr := func() (int, string, string) {
			help, ok := table.Lookup(args[0])
			if !ok {
				var b strings.Builder
				return (cli.Output{Prog: "toy", W: &b}).Fail(cli.UnknownCommand("toy", args[0], hinted)), "", b.String()
			}
			if slices.Contains(args, "--help") {
				return 0, help + "\n", ""
			}
			return 1, "", "toy: error: not run here\n"
		}()
		if broken != nil {
			return broken(code, stdout, stderr)
		}
		return code, stdout, stderr
	}
}

func TestCheck(t *testing.T) {
	table := cli.Commands[string]{{Name: "pull", Run: "Usage: toy pull -o DIR"}, {Name: "push", Run: "Usage: toy push DIR"}}
	good := toy(table, table.Names(), nil)
	for _, path := range Paths(nil, table.Names()...) {
		if err := Check("toy", path, good); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		desc string
		path []string
		run  Run
	}{
		{"not in the table", []string{"list"}, toy(table, []string{"pull", "push", "list"}, nil)},
		{"not among the suggestions", []string{"push"}, toy(table, []string{"pull"}, nil)},
		{"help that names another command", []string{"pull"}, toy(cli.Commands[string]{{Name: "pull", Run: "Usage: toy push"}}, []string{"pull"}, nil)},
		{"help on stderr", []string{"pull"}, toy(table, table.Names(), func(c int, o, e string) (int, string, string) { return c, "", e + o })},
		{"a near miss exits 1", []string{"pull"}, toy(table, table.Names(), func(c int, o, e string) (int, string, string) { return min(c, 1), o, e })},
		{"a near miss writes stdout", []string{"pull"}, toy(table, table.Names(), func(c int, o, e string) (int, string, string) { return c, o + "x", e })},
		{"a word whose swap is itself", []string{"ppull"}, toy(cli.Commands[string]{{Name: "ppull", Run: "toy ppull"}}, []string{"ppull"}, nil)},
		{"a word of one letter", []string{"p"}, toy(cli.Commands[string]{{Name: "p", Run: "toy p"}}, []string{"p"}, nil)},
		{"no word", nil, good},
	} {
		if err := Check("toy", tc.path, tc.run); err == nil {
			t.Errorf("%s: no error", tc.desc)
		}
	}
}

func TestPaths(t *testing.T) {
	parent := make([]string, 1, 4)
	parent[0] = "courier"
	got := Paths(parent, "pull", "push")
	if fmt.Sprint(got) != "[[courier pull] [courier push]]" || fmt.Sprint(Paths(nil, "a")) != "[[a]]" || len(Paths(nil)) != 0 {
		t.Fatalf("%q", got)
	}
}
