package cli

import (
	"fmt"
	"slices"
	"strings"
)

// Command is one command of a program, or one subcommand of a command:
// the word that runs it and what it runs.
type Command[F any] struct {
	Name string
	Run  F
}

// Commands is a table of commands in the order the program's hints list
// them: the one place their names are written, which both the dispatch
// (Lookup) and the "did you mean" (Names) read.
type Commands[F any] []Command[F]

// Lookup returns what the command named word runs, and false if no
// command is named word.
func (cs Commands[F]) Lookup(word string) (F, bool) {
	for _, c := range cs {
		if c.Name == word {
			return c.Run, true
		}
	}
	var none F
	return none, false
}

// Names returns the commands' names in the table's order.
func (cs Commands[F]) Names() []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names
}

// HelpFirst rewrites a command line that asks for help in words before
// the command, args as the commands of command (the words that run them:
// "refuge", "refuge courier") read them: "help" becomes "--help", and
// "help NAME REST..." becomes "NAME REST... --help", which the command
// NAME answers with its own help ("refuge help courier pull", "refuge
// courier help pull"). Any other args are returned as they are. A NAME
// that is no command is a usage error that names the commands, with a
// "did you mean" for one it is near.
func (cs Commands[F]) HelpFirst(command string, args []string) ([]string, *Error) {
	if len(args) == 0 || args[0] != HelpWord {
		return args, nil
	}
	if len(args) == 1 {
		return []string{"--help"}, nil
	}
	if _, ok := cs.Lookup(args[1]); !ok {
		names := cs.Names()
		ce := Usagef(command, "no command %q has help (%s)", args[1], strings.Join(names, ", "))
		if near := Nearest(args[1], names); near != "" {
			ce.Hints = append([]string{fmt.Sprintf("did you mean %q?", command+" "+HelpWord+" "+near)}, ce.Hints...)
		}
		return nil, ce
	}
	return append(slices.Clone(args[1:]), "--help"), nil
}
