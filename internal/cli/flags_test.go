package cli

import (
	"errors"
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// openFlags is a command's flag set: strings, a bool, a repeatable flag
// and one-letter flags, with its help going to help.
func openFlags(help *strings.Builder) (*flag.FlagSet, map[string]*string, *bool, *[]string) {
	fs := NewFlags("prog open", "Usage: prog open -i FILE -o DIR BUNDLE...", help)
	s := map[string]*string{
		"i":      fs.String("i", "", "identity"),
		"o":      fs.String("o", "", "output"),
		"outbox": fs.String("outbox", "", "outbox"),
	}
	force := fs.Bool("force", false, "force")
	var to []string
	fs.Func("to", "repeatable", func(v string) error { to = append(to, v); return nil })
	return fs, s, force, &to
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		desc  string
		args  []string
		pos   []string
		i, o  string
		force bool
		to    []string
	}{
		{desc: "nothing", args: nil},
		{desc: "flags then positionals", args: []string{"-i", "k", "-o", "d", "a", "b"}, pos: []string{"a", "b"}, i: "k", o: "d"},
		{desc: "flags after positionals", args: []string{"a", "-i", "k", "b", "--o=d"}, pos: []string{"a", "b"}, i: "k", o: "d"},
		{desc: "-- ends the flags", args: []string{"a", "--", "-i", "k"}, pos: []string{"a", "-i", "k"}},
		{desc: "-- first", args: []string{"--", "--", "-o"}, pos: []string{"--", "-o"}},
		{desc: "-- last", args: []string{"-o", "d", "--"}, o: "d"},
		{desc: "-- as a flag's value", args: []string{"-o", "--", "a", "-i", "k"}, pos: []string{"a"}, i: "k", o: "--"},
		{desc: "-- as a value, then --", args: []string{"-o=--", "--o", "--", "--", "-i"}, pos: []string{"-i"}, o: "--"},
		{desc: "-- after a bool flag", args: []string{"--force", "--", "-o"}, pos: []string{"-o"}, force: true},
		{desc: "- is positional", args: []string{"-", "-o", "d"}, pos: []string{"-"}, o: "d"},
		{desc: "empty strings", args: []string{"", "-o", "", ""}, pos: []string{"", ""}},
		{desc: "unicode", args: []string{"ѕubmit", "-o", "déjà vu", "日本.age"}, pos: []string{"ѕubmit", "日本.age"}, o: "déjà vu"},
		{desc: "a flag given twice: the last wins", args: []string{"-o", "a", "x", "-o", "b"}, pos: []string{"x"}, o: "b"},
		{desc: "a repeatable flag", args: []string{"--to", "a", "x", "--to=b"}, pos: []string{"x"}, to: []string{"a", "b"}},
		{desc: "a value that looks like a flag", args: []string{"-o", "-i", "x"}, pos: []string{"x"}, o: "-i"},
		{desc: "a value that is -h", args: []string{"-o", "-h"}, o: "-h"},
		{desc: "-o -- a: -- is -o's value", args: []string{"-o", "--", "a"}, pos: []string{"a"}, o: "--"},
		{desc: "-- as a value after a positional", args: []string{"a", "-o", "--"}, pos: []string{"a"}, o: "--"},
		{desc: "-- as a repeatable flag's value", args: []string{"--to", "--", "a", "--to", "b"}, pos: []string{"a"}, to: []string{"--", "b"}},
		{desc: "-- after a positional ends the flags", args: []string{"a", "--", "--to", "b", "-o"}, pos: []string{"a", "--to", "b", "-o"}},
		{desc: "-- after -- is positional", args: []string{"-o", "d", "--", "--"}, pos: []string{"--"}, o: "d"},
		{desc: "--flag= is an empty value", args: []string{"-o", "d", "--o=", "a"}, pos: []string{"a"}},
		{desc: "-flag= is an empty value", args: []string{"-o=", "a"}, pos: []string{"a"}},
		{desc: "an empty value for a repeatable flag", args: []string{"--to=", "--to", ""}, to: []string{"", ""}},
		{desc: "a flag after a positional, then one more", args: []string{"a", "-o", "d", "b", "-i", "k", "c"}, pos: []string{"a", "b", "c"}, i: "k", o: "d"},
		{desc: "a bool takes no next word", args: []string{"--force", "false"}, pos: []string{"false"}, force: true},
		{desc: "a bool set false", args: []string{"--force", "--force=false"}},
		{desc: "a bool set with =1", args: []string{"-force=1", "a"}, pos: []string{"a"}, force: true},
		{desc: "a value that is a long flag", args: []string{"--outbox", "--force"}},
		{desc: "a value with =", args: []string{"--o=a=b", "x=y"}, pos: []string{"x=y"}, o: "a=b"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var help strings.Builder
			fs, s, force, to := openFlags(&help)
			pos, err := Parse(fs, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pos, tc.pos) || *s["i"] != tc.i || *s["o"] != tc.o || *force != tc.force || !slices.Equal(*to, tc.to) {
				t.Fatalf("positionals %q, -i %q, -o %q, --force %v, --to %q", pos, *s["i"], *s["o"], *force, *to)
			}
			if help.Len() != 0 {
				t.Fatalf("help shown: %q", help.String())
			}
			fresh, _, _, _ := openFlags(&help)
			if w := Words(fresh, tc.args); !slices.Equal(w, tc.pos) {
				t.Fatalf("Words %q, Parse %q", w, pos)
			}
		})
	}
}

// TestWords checks the positional words of command lines Parse refuses:
// what a flag fs defines takes as its value is no word, the word after a
// flag fs does not define is.
func TestWords(t *testing.T) {
	for _, tc := range []struct {
		args, words []string
	}{
		{[]string{"a", "--bogus", "b", "-o", "c", "d"}, []string{"a", "b", "d"}},
		{[]string{"-o", "token", "--bogus"}, nil},
		{[]string{"--o", "token", "--bogus", "token"}, []string{"token"}},
		{[]string{"--o=token", "token", "--bogus"}, []string{"token"}},
		{[]string{"--bogus", "-o"}, nil},
		{[]string{"a", "-o"}, []string{"a"}},
		{[]string{"--force=maybe", "a"}, []string{"a"}},
		{[]string{"--force", "a", "--to", "b", "c"}, []string{"a", "c"}},
		{[]string{"---o", "a"}, []string{"a"}},
		{[]string{"-h", "a"}, []string{"a"}},
		{[]string{"-o", "--", "--bogus", "a"}, []string{"a"}},
		{[]string{"--bogus", "--", "-o", "a"}, []string{"-o", "a"}},
		{[]string{"-", "", "-o", "-"}, []string{"-", ""}},
	} {
		var help strings.Builder
		fs, _, _, _ := openFlags(&help)
		if w := Words(fs, tc.args); !slices.Equal(w, tc.words) {
			t.Errorf("Words(%q) = %q, want %q", tc.args, w, tc.words)
		}
	}
}

func TestParseHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"a", "b", "-h"}, {"-o", "d", "a", "--help"}, {"-o", "-h", "a", "-h"}} {
		var help strings.Builder
		fs, _, _, _ := openFlags(&help)
		pos, err := Parse(fs, args)
		if !errors.Is(err, flag.ErrHelp) || pos != nil {
			t.Errorf("%q: %q, %v; want flag.ErrHelp", args, pos, err)
		}
		if help.String() != "Usage: prog open -i FILE -o DIR BUNDLE...\n" {
			t.Errorf("%q: help %q", args, help.String())
		}
	}
	// After "--", -h is an argument.
	var help strings.Builder
	fs, _, _, _ := openFlags(&help)
	if pos, err := Parse(fs, []string{"--", "-h"}); err != nil || !slices.Equal(pos, []string{"-h"}) || help.Len() != 0 {
		t.Fatalf("%q, %v, help %q", pos, err, help.String())
	}
	// A flag set without help still answers -h with flag.ErrHelp.
	bare := flag.NewFlagSet("bare", flag.ContinueOnError)
	if _, err := Parse(bare, []string{"x", "--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
}

// TestParseHelpWord: the word "help" as the only positional argument asks
// for help ("open help", "open -o d help"), unless it comes after "--" or
// with other arguments; ParsePaths, for a command whose arguments are
// files, leaves it a file while a file or folder of that name is in the
// current folder, and asks for help again once there is none.
func TestParseHelpWord(t *testing.T) {
	t.Chdir(t.TempDir())
	parsers := map[string]func(*flag.FlagSet, []string) ([]string, error){"Parse": Parse, "ParsePaths": ParsePaths}
	check := func(name string, args []string, asked bool) {
		t.Helper()
		var help strings.Builder
		fs, _, _, _ := openFlags(&help)
		pos, err := parsers[name](fs, args)
		switch {
		case asked && (!errors.Is(err, flag.ErrHelp) || pos != nil || help.String() != "Usage: prog open -i FILE -o DIR BUNDLE...\n"):
			t.Errorf("%s(%q) = %q, %v, help %q; want help", name, args, pos, err, help.String())
		case !asked && (err != nil || help.Len() != 0 || len(pos) == 0):
			t.Errorf("%s(%q) = %q, %v, help %q; want help as an argument", name, args, pos, err, help.String())
		}
	}
	for name := range parsers {
		check(name, []string{"help"}, true)
		check(name, []string{"-o", "d", "help"}, true)
		check(name, []string{"help", "-i", "k"}, true)
		check(name, []string{"--", "help"}, false)
		check(name, []string{"help", "help"}, false)
		check(name, []string{"a", "help"}, false)
		check(name, []string{"-o", "help", "help"}, true) // the value of -o is no argument
		check(name, []string{"HELP"}, false)
	}
	for _, made := range []func() error{
		func() error { return os.WriteFile("help", []byte("a file"), 0o600) },
		func() error { return os.Mkdir("help", 0o700) },
		func() error { return os.Symlink("nowhere", "help") },
	} {
		if err := made(); err != nil {
			t.Fatal(err)
		}
		check("ParsePaths", []string{"help"}, false)
		check("ParsePaths", []string{"-o", "d", "help"}, false)
		check("Parse", []string{"help"}, true)
		if err := os.Remove("help"); err != nil {
			t.Fatal(err)
		}
		check("ParsePaths", []string{"help"}, true)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		desc  string
		args  []string
		msg   string
		hints []string
	}{
		{"a mistyped flag", []string{"a", "--outbx", "d"}, "unknown flag --outbx",
			[]string{"did you mean --outbox?", `run "prog open --help" for usage`}},
		{"a mistyped one-letter flag", []string{"-oo", "d"}, "unknown flag --oo",
			[]string{"did you mean -o?", `run "prog open --help" for usage`}},
		{"a one-letter flag is suggested with one dash", []string{"--ob"}, "unknown flag --ob",
			[]string{"did you mean -o?", `run "prog open --help" for usage`}},
		{"an unknown one-letter flag suggests no other", []string{"a", "-x"}, "unknown flag -x",
			[]string{`run "prog open --help" for usage`}},
		{"an unknown one-letter flag in capitals", []string{"-O", "d"}, "unknown flag -O",
			[]string{`run "prog open --help" for usage`}},
		{"a long flag in capitals", []string{"--Force"}, "unknown flag --Force",
			[]string{"did you mean --force?", `run "prog open --help" for usage`}},
		{"a mistyped flag with a value", []string{"--outbx=d"}, "unknown flag --outbx",
			[]string{"did you mean --outbox?", `run "prog open --help" for usage`}},
		{"a flag close to two names: the first in sort order", []string{"--io"}, "unknown flag --io",
			[]string{"did you mean -i?", `run "prog open --help" for usage`}},
		{"a mistyped flag after -- as a value", []string{"a", "-o", "--", "--tp", "b"}, "unknown flag --tp",
			[]string{"did you mean --to?", `run "prog open --help" for usage`}},
		{"a mistyped flag before -h: the error, not the help", []string{"--outbx", "-h"}, "unknown flag --outbx",
			[]string{"did you mean --outbox?", `run "prog open --help" for usage`}},
		{"a prefix of a flag", []string{"--forc"}, "unknown flag --forc",
			[]string{"did you mean --force?", `run "prog open --help" for usage`}},
		{"nothing near", []string{"--bogus"}, "unknown flag --bogus",
			[]string{`run "prog open --help" for usage`}},
		{"a unicode flag", []string{"--fоrce"}, "unknown flag --fоrce",
			[]string{"did you mean --force?", `run "prog open --help" for usage`}},
		{"a missing value", []string{"a", "-o"}, "-o needs a value",
			[]string{`run "prog open --help" for usage`}},
		{"--=x", []string{"--=x"}, `"--=x" is not a flag: a flag is -x or --name, or --name=value`, []string{`run "prog open --help" for usage`}},
		{"three dashes", []string{"---o", "d"}, `"---o" is not a flag: a flag is -x or --name, or --name=value`, []string{`run "prog open --help" for usage`}},
		{"a value for a bool", []string{"--force=maybe"}, `--force takes no value (it is given alone, or as --force=false), not "maybe"`,
			[]string{`run "prog open --help" for usage`}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var help strings.Builder
			fs, _, _, _ := openFlags(&help)
			_, err := Parse(fs, tc.args)
			var ce *Error
			if !errors.As(err, &ce) || ce.Code != ExitUsage || ce.Msg != tc.msg || !slices.Equal(ce.Hints, tc.hints) {
				t.Fatalf("%#v", err)
			}
			if help.Len() != 0 {
				t.Fatalf("an error shows the help: %q", help.String())
			}
		})
	}
}

// TestParseValueErrors checks the words for a value a flag refuses: a
// number that is not one or is too large, and a value a flag's own check
// refused, with its reason.
func TestParseValueErrors(t *testing.T) {
	for _, tc := range []struct {
		desc string
		args []string
		msg  string
	}{
		{"not a number", []string{"--max-upload", "5x"}, `--max-upload "5x": not a number`},
		{"too large a number", []string{"--max-upload=99999999999999999999"}, `--max-upload "99999999999999999999": too large a number`},
		{"a value the flag refuses", []string{"--listen", "nowhere"}, `--listen "nowhere": not host:port`},
		{"a missing value at the end", []string{"--listen"}, "--listen needs a value"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			fs := NewFlags("prog serve", "Usage: prog serve", io.Discard)
			fs.Int64("max-upload", 0, "largest upload")
			fs.Func("listen", "address", func(string) error { return errors.New("not host:port") })
			_, err := Parse(fs, tc.args)
			var ce *Error
			if !errors.As(err, &ce) || ce.Code != ExitUsage || ce.Msg != tc.msg ||
				!slices.Equal(ce.Hints, []string{`run "prog serve --help" for usage`}) {
				t.Fatalf("%#v", err)
			}
		})
	}
}

// TestParseKeepsUsage checks that Parse leaves fs.Usage as it found it,
// and that a flag set is parsed again the same way.
func TestParseKeepsUsage(t *testing.T) {
	var help strings.Builder
	fs, _, _, _ := openFlags(&help)
	for range 2 {
		if _, err := Parse(fs, []string{"--bogus"}); err == nil {
			t.Fatal("no error")
		}
	}
	fs.Usage()
	if help.String() != "Usage: prog open -i FILE -o DIR BUNDLE...\n" {
		t.Fatalf("help %q", help.String())
	}
}
