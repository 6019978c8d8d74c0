package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"refuge/client/clienttest"
)

// subcommandHelps are refuge-server's subcommands, each with its help and
// the flags it takes.
var subcommandHelps = []struct {
	path  []string
	help  string
	flags []string
}{
	{[]string{"token"}, tokenHelp, nil},
	{[]string{"token", "add"}, tokenAddHelp, []string{"partner", "courier", "unlisted", "data"}},
	{[]string{"token", "reissue"}, tokenReissueHelp, []string{"partner", "courier", "data"}},
	{[]string{"token", "revoke"}, tokenRevokeHelp, []string{"partner", "courier", "data"}},
	{[]string{"token", "list"}, tokenListHelp, []string{"data"}},
	{[]string{"publish"}, publishHelp, []string{"data", "root-pub"}},
}

// TestSubcommandHelp asks every subcommand for help, as -h, -help and
// --help, alone and after other flags and arguments: each prints its own
// help on stdout, not the whole program's, and exits 0. Each help says
// how the command is written, names every flag the command takes and no
// other, and has an example. Before, each printed the whole program's
// help.
func TestSubcommandHelp(t *testing.T) {
	flagRE := regexp.MustCompile(`(?m)^    --([a-z-]+)`)
	for _, c := range subcommandHelps {
		name := strings.Join(c.path, " ")
		t.Run(name, func(t *testing.T) {
			var asks [][]string
			for _, h := range []string{"-h", "-help", "--help"} {
				asks = append(asks, append(slices.Clone(c.path), h))
			}
			if len(c.flags) > 0 {
				asks = append(asks, append(slices.Clone(c.path), "--data", "/var/lib/refuge", "arg", "--help"))
			}
			for _, args := range asks {
				var out, errb bytes.Buffer
				if rc := run(args, &out, &errb); rc != exitOK || out.String() != c.help+"\n" || errb.Len() != 0 {
					t.Errorf("%q: exit %d, stderr %q, stdout\n%s", args, rc, errb.String(), out.String())
				}
			}
			if !strings.HasPrefix(c.help, "Usage: refuge-server "+name+" ") && !strings.HasPrefix(c.help, "Usage:\n    refuge-server "+name+" ") {
				t.Errorf("the help does not begin with how %q is written:\n%s", name, c.help)
			}
			if len(c.help) >= len(usage)/2 {
				t.Errorf("the help of %q is %d bytes, the whole program's %d", name, len(c.help), len(usage))
			}
			if !strings.Contains(c.help, "\nExample:\n") && !strings.Contains(c.help, "\nExamples:\n") {
				t.Errorf("the help of %q has no example", name)
			}
			var listed []string
			if _, flags, ok := strings.Cut(c.help, "\nFlags:\n"); ok {
				flags, _, _ = strings.Cut(flags, "\n\n")
				for _, m := range flagRE.FindAllStringSubmatch(flags, -1) {
					listed = append(listed, m[1])
				}
			}
			if !slices.Equal(listed, c.flags) {
				t.Errorf("the help of %q lists the flags %q, the command takes %q", name, listed, c.flags)
			}
			for _, f := range c.flags {
				var errb bytes.Buffer
				run(append(slices.Clone(c.path), "--"+f+"=x"), &bytes.Buffer{}, &errb)
				if strings.Contains(errb.String(), "unknown flag") {
					t.Errorf("%s does not take --%s: %s", name, f, errb.String())
				}
			}
		})
	}
}

// TestSubcommandHelpExamples runs each example of the subcommands' help
// texts as written, but for sudo, on a data directory that does not
// exist: each is a well-formed command line (not a usage error, exit 2)
// that reaches the data directory, and is refused there.
func TestSubcommandHelpExamples(t *testing.T) {
	keys := clienttest.NewKeys(t)
	mf, sf := writeManifest(t, keys, t.TempDir())
	missing := filepath.Join(t.TempDir(), "refuge")
	n := 0
	for _, c := range subcommandHelps {
		_, ex, _ := strings.Cut(c.help, "\nExample")
		ex, _, _ = strings.Cut(ex, "\n\n")
		ex = strings.ReplaceAll(ex, "\\\n", "")
		for _, line := range strings.Split(ex, "\n")[1:] {
			line = strings.TrimPrefix(strings.TrimSpace(line), "sudo -u refuge ")
			line = strings.ReplaceAll(line, `"$(cat root.pub)"`, keys.RootPub.String())
			args := strings.Fields(line)
			if len(args) == 0 || args[0] != "refuge-server" {
				t.Fatalf("the example of %q is not a refuge-server command: %q", c.path, line)
			}
			for i, a := range args {
				switch a {
				case "/var/lib/refuge":
					args[i] = missing
				case "manifest.json":
					args[i] = mf
				case "manifest.json.minisig":
					args[i] = sf
				}
			}
			var errb bytes.Buffer
			rc := run(args[1:], &bytes.Buffer{}, &errb)
			if want := "refuge-server: error: " + missing + " does not exist; nothing was changed\n"; rc != exitError || !strings.HasPrefix(errb.String(), want) {
				t.Errorf("%q: exit %d, stderr\n%s\nwant exit 1, stderr beginning\n%s", line, rc, errb.String(), want)
			}
			n++
		}
	}
	if n < len(subcommandHelps) {
		t.Fatalf("%d examples for %d subcommands", n, len(subcommandHelps))
	}
}

// TestHelpAsTyped asks for help as people type it, in words rather than
// flags: "help", "help token add", "token help add", "token add help",
// "publish help". Each prints the help the command's --help prints, on
// stdout, and exits 0. A command that does not exist is a usage error
// that names the ones that do, with a did-you-mean, and prints no help.
// Before, "help token" printed the whole program's help and "token help
// add" was an unknown subcommand.
func TestHelpAsTyped(t *testing.T) {
	asks := map[string][][]string{usage: {{"help"}}}
	for _, c := range subcommandHelps {
		p := c.path
		asks[c.help] = append(asks[c.help], append([]string{"help"}, p...), append(slices.Clone(p), "help"))
		if len(p) > 1 {
			asks[c.help] = append(asks[c.help], append([]string{p[0], "help"}, p[1:]...))
		}
	}
	asks[publishHelp] = append(asks[publishHelp], []string{"publish", "--data", "/var/lib/refuge", "help"})
	for help, list := range asks {
		for _, args := range list {
			var out, errb bytes.Buffer
			if rc := run(args, &out, &errb); rc != exitOK || out.String() != help+"\n" || errb.Len() != 0 {
				t.Errorf("%q: exit %d, stderr %q, stdout\n%s", args, rc, errb.String(), out.String())
			}
		}
	}
	refused := []struct {
		args []string
		want string
	}{
		{[]string{"help", "serve"}, `refuge-server: error: no command "serve" has help (token, publish)` + "\n" +
			`refuge-server: hint: run "refuge-server --help" for usage` + "\n"},
		{[]string{"help", "tokn", "add"}, `refuge-server: error: no command "tokn" has help (token, publish)` + "\n" +
			`refuge-server: hint: did you mean "refuge-server help token"?` + "\n" +
			`refuge-server: hint: run "refuge-server --help" for usage` + "\n"},
		{[]string{"help", "--data", "/var/lib/refuge"}, `refuge-server: error: no command "--data" has help (token, publish)` + "\n" +
			`refuge-server: hint: run "refuge-server --help" for usage` + "\n"},
		{[]string{"token", "help", "ad"}, `refuge-server: error: no command "ad" has help (add, reissue, revoke, list)` + "\n" +
			`refuge-server: hint: did you mean "refuge-server token help add"?` + "\n" +
			`refuge-server: hint: run "refuge-server token --help" for usage` + "\n"},
		{[]string{"help", "token", "\x1b[2J"}, `refuge-server: error: unknown token subcommand "\x1b[2J" (add, reissue, revoke, list)` + "\n" +
			`refuge-server: hint: run "refuge-server token --help" for usage` + "\n"},
		{[]string{"token", "add", "help", "me"}, `refuge-server: error: unexpected argument "help"` + "\n" +
			`refuge-server: hint: run "refuge-server token add --help" for usage` + "\n"},
	}
	for _, c := range refused {
		var out, errb bytes.Buffer
		if rc := run(c.args, &out, &errb); rc != exitUsage || out.Len() != 0 || errb.String() != c.want {
			t.Errorf("%q: exit %d, stdout %q, stderr\n%s\nwant exit 2, nothing on stdout, stderr\n%s", c.args, rc, out.String(), errb.String(), c.want)
		}
	}
}
