package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// NewFlags returns a flag set for command, the words that run it
// ("refuge-officer open"), whose -h and --help print help and a newline
// to w (standard output: help asked for is a result). Parse it with Parse.
func NewFlags(command, help string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(w, help) }
	return fs
}

// Parse parses args with fs and returns the positional arguments. Flags may
// come after them ("open BUNDLE -o DIR"); everything after a "--" that ends
// the flags is positional.
//
// -h and --help (unless fs defines them) call fs.Usage and return
// flag.ErrHelp. Any other flag error becomes a usage error (Usagef) for
// the command named fs.Name(), with a "did you mean" for a mistyped flag;
// the help is not shown then, as the flag package would, burying the one
// line that matters under it. Parse sets fs's output to io.Discard: it
// prints nothing but the help.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	help := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			if help != nil {
				help()
			}
			return nil, err
		}
		if err != nil {
			return nil, flagError(fs, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if endsFlags(fs, args[:len(args)-len(rest)]) {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// endsFlags reports whether the flags that fs parsed, read, end with a
// "--" that ends the flags, rather than one that is a flag's value
// ("-o --").
func endsFlags(fs *flag.FlagSet, read []string) bool {
	for i := 0; i < len(read); i++ {
		if read[i] == "--" {
			return true
		}
		if takesValue(fs, read[i]) {
			i++ // its value, whatever it looks like
		}
	}
	return false
}

// Words returns the words of args that Parse takes as positional
// arguments, and does so where Parse fails too: each word that is neither
// a flag nor the value of one of fs's flags ("-o FILE"), and each word
// after a "--" that ends the flags. A flag fs does not define is taken to
// stand alone, so the word after it counts. A program reads them to tell
// what a refused command line meant ("--data D token add --partner P": a
// subcommand written late).
func Words(fs *flag.FlagSet, args []string) []string {
	var words []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			return append(words, args[i+1:]...)
		case len(a) < 2 || a[0] != '-':
			words = append(words, a)
		case takesValue(fs, a):
			i++
		}
	}
	return words
}

// takesValue reports whether word is a flag of fs that takes the next word
// as its value: "-o" or "--o", not "-o=FILE", a bool or an undefined flag.
func takesValue(fs *flag.FlagSet, word string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(word, "-"), "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	return f != nil && !isBool(f)
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagError is the usage error for a flag error of fs, naming the flag fs
// has that comes nearest to a mistyped one.
func flagError(fs *flag.FlagSet, err error) *Error {
	ce := Errorf(ExitUsage, "%v", err)
	const undefined = "flag provided but not defined: -"
	if name, ok := strings.CutPrefix(err.Error(), undefined); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if near := Nearest(strings.TrimLeft(name, "-"), names); near != "" {
			ce.Hint("did you mean %s?", dashed(near))
		}
	}
	return ce.Hint("run %q for usage", fs.Name()+" --help")
}

// dashed is a flag as the help texts write it: -o, --note-file.
func dashed(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}
