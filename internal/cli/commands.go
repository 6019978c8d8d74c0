package cli

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
