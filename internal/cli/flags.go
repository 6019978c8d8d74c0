package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
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
// flag.ErrHelp, and so does the word "help" when it is the only positional
// argument and no "--" came before it ("token add help", "publish --data
// DIR help"): a person asking for help in words. ParsePaths, for commands
// whose arguments are files, leaves it a file when one of that name is
// there. Any other flag error becomes a usage error (Usagef) for
// the command named fs.Name(), with a "did you mean" for a mistyped flag;
// the help is not shown then, as the flag package would, burying the one
// line that matters under it. Parse sets fs's output to io.Discard: it
// prints nothing but the help.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	return parse(fs, args, func() bool { return true })
}

// ParsePaths is Parse for a command whose positional arguments are files
// or folders ("submit FILES..."): the word "help" alone asks for help only
// while nothing named help is in the current folder. A file named help is
// still submitted, sealed or opened, as before "help" was a word (and
// "./help" or "-- help" always name it).
func ParsePaths(fs *flag.FlagSet, args []string) ([]string, error) {
	return parse(fs, args, func() bool {
		_, err := os.Lstat(HelpWord)
		return errors.Is(err, os.ErrNotExist)
	})
}

// HelpWord is the word that asks for help where a command or its
// arguments would go ("refuge help submit", "refuge submit help").
const HelpWord = "help"

// parse is Parse; wordIsHelp says whether a lone positional "help" asks
// for help.
func parse(fs *flag.FlagSet, args []string, wordIsHelp func() bool) ([]string, error) {
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
			if len(pos) == 1 && pos[0] == HelpWord && wordIsHelp() {
				if help != nil {
					help()
				}
				return nil, flag.ErrHelp
			}
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

// flagError is the usage error for a flag error of fs, in plain words
// (plainFlagError), naming the flag fs has that comes nearest to a
// mistyped one.
func flagError(fs *flag.FlagSet, err error) *Error {
	msg, unknown := plainFlagError(err.Error())
	ce := Errorf(ExitUsage, "%s", msg)
	if unknown != "" {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if near := Nearest(strings.TrimLeft(unknown, "-"), names); near != "" {
			ce.Hint("did you mean %s?", dashed(near))
		}
	}
	return ce.Hint("run %q for usage", fs.Name()+" --help")
}

// plainFlagError rewrites a message of the flag package, which names a
// flag with one dash whatever was typed and speaks of arguments and parse
// errors, into words a person reads at once, the flag written as the help
// texts write it: "unknown flag --outbx", "--token needs a value". unknown
// is the name of a flag that is not defined, if that is the error. A
// message it does not know is returned as it is.
func plainFlagError(msg string) (plain, unknown string) {
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag " + dashed(name), name
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return dashed(name) + " needs a value", ""
	}
	if s, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return fmt.Sprintf("%q is not a flag: a flag is -x or --name, or --name=value", s), ""
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if value, name, _, ok := valueFor(rest, " for -"); ok {
			return fmt.Sprintf("%s takes no value (it is given alone, or as %s=false), not %q", dashed(name), dashed(name), value), ""
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if value, name, why, ok := valueFor(rest, " for flag -"); ok {
			switch why {
			case "parse error":
				why = "not a number"
			case "value out of range":
				why = "too large a number"
			}
			return fmt.Sprintf("%s %q: %s", dashed(name), value, why), ""
		}
	}
	return msg, ""
}

// valueFor reads `"VALUE"` + sep + `NAME: WHY`, the end of the flag
// package's messages about a value it refused.
func valueFor(s, sep string) (value, name, why string, ok bool) {
	quoted, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", "", false
	}
	if value, err = strconv.Unquote(quoted); err != nil {
		return "", "", "", false
	}
	rest, ok := strings.CutPrefix(s[len(quoted):], sep)
	if !ok {
		return "", "", "", false
	}
	name, why, ok = strings.Cut(rest, ": ")
	return value, name, why, ok
}

// dashed is a flag as the help texts write it: -o, --note-file.
func dashed(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}
