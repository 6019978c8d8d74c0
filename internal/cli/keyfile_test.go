package cli

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseKeyFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // where the relative names below are not
	existing := filepath.Join(dir, "old.key")
	if err := os.WriteFile(existing, []byte("a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.key")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	usage := `run "prog keygen --help" for usage`
	for _, tc := range []struct {
		desc  string
		args  []string
		want  KeyFile
		code  int
		msg   string
		hints []string
	}{
		{desc: "-o", args: []string{"-o", "new.key"}, want: KeyFile{Out: "new.key"}},
		{desc: "both flags, either order", args: []string{"--passphrase-file", "p", "-o=new.key"}, want: KeyFile{Out: "new.key", PassphraseFile: "p"}},
		{desc: "-o given twice: the last", args: []string{"-o", existing, "-o", "new.key"}, want: KeyFile{Out: "new.key"}},
		{desc: "a file named --", args: []string{"-o", "--"}, want: KeyFile{Out: "--"}},
		{desc: "no -o", args: []string{"--passphrase-file", "p"}, code: ExitUsage, msg: "missing -o FILE", hints: []string{usage}},
		{desc: "an empty -o", args: []string{"-o="}, code: ExitUsage, msg: "missing -o FILE", hints: []string{usage}},
		{desc: "an argument", args: []string{"new.key"}, code: ExitUsage, msg: `unexpected argument "new.key"`, hints: []string{usage}},
		{desc: "an argument after --", args: []string{"-o", "new.key", "--", "-x"}, code: ExitUsage, msg: `unexpected argument "-x"`, hints: []string{usage}},
		{desc: "a mistyped flag", args: []string{"-o", "new.key", "--passphrase"}, code: ExitUsage, msg: "unknown flag --passphrase",
			hints: []string{"did you mean --passphrase-file?", usage}},
		{desc: "-o with no value", args: []string{"-o"}, code: ExitUsage, msg: "-o needs a value", hints: []string{usage}},
		{desc: "an existing file", args: []string{"-o", existing}, code: ExitFailure, msg: existing + " already exists; refusing to overwrite a key",
			hints: []string{"choose another -o file, or move the old key away yourself"}},
		{desc: "a link to nothing", args: []string{"-o", dangling}, code: ExitFailure, msg: dangling + " already exists; refusing to overwrite a key",
			hints: []string{"choose another -o file, or move the old key away yourself"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var help strings.Builder
			k, err := ParseKeyFile(NewFlags("prog keygen", "Usage: prog keygen -o FILE", &help), tc.args)
			if tc.msg == "" {
				if err != nil || k != tc.want {
					t.Fatalf("%+v, %v; want %+v", k, err, tc.want)
				}
			} else {
				var ce *Error
				if !errors.As(err, &ce) || ce.Code != tc.code || ce.Msg != tc.msg || !slices.Equal(ce.Hints, tc.hints) || k != (KeyFile{}) {
					t.Fatalf("%+v, %#v", k, err)
				}
			}
			if help.Len() != 0 {
				t.Fatalf("help shown: %q", help.String())
			}
		})
	}
	var help strings.Builder
	if _, err := ParseKeyFile(NewFlags("prog keygen", "Usage: prog keygen -o FILE", &help), []string{"-o", "k", "-h"}); !errors.Is(err, flag.ErrHelp) || help.String() != "Usage: prog keygen -o FILE\n" {
		t.Fatalf("%v, help %q", err, help.String())
	}
}
