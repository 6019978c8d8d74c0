package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHelpInWords asks each of the three programs, as built, for the help
// of every command and subcommand its usage lists in the words people
// type: "help submit", "submit help", "help courier pull", "courier help
// pull", "courier pull help". Each prints what the command's --help
// prints, on standard output, with nothing on standard error, and exits 0.
// "help" before a word that is no command, or a mistyped one, is a usage
// error (exit 2) that prints no help and says which command was meant; a
// hostile word is quoted, never written to the terminal as it came. It
// runs in an empty folder: no file there is named help (TestHelpFile, in
// cmd/refuge and cmd/refuge-officer, is the one where one is). Before,
// refuge and refuge-officer printed the whole program's help for each of
// these, or took "help" for a file.
func TestHelpInWords(t *testing.T) {
	t.Parallel()
	bin := buildBinaries(t)
	dir := t.TempDir()
	for _, prog := range []string{"refuge", "refuge-server", "refuge-officer"} {
		t.Run(prog, func(t *testing.T) {
			exe := filepath.Join(bin, prog)
			run := func(args ...string) (stdout, stderr string, code int) {
				cmd := exec.Command(exe, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "REFUGE_STATE_DIR="+filepath.Join(dir, "state"))
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				err := cmd.Run()
				var ee *exec.ExitError
				switch {
				case err == nil:
				case errors.As(err, &ee):
					code = ee.ExitCode()
				default:
					t.Fatalf("%s %q: %v", prog, args, err)
				}
				return out.String(), errb.String(), code
			}
			top, _, _ := run("--help")
			for _, p := range commandPaths(t, prog, top) {
				want, _, _ := run(append(slices.Clone(p), "--help")...)
				if want == top {
					t.Fatalf("%s %q --help prints the whole program's help", prog, p)
				}
				asks := [][]string{append([]string{"help"}, p...), append(slices.Clone(p), "help")}
				if len(p) > 1 {
					asks = append(asks, append([]string{p[0], "help"}, p[1:]...))
				}
				for _, args := range asks {
					if out, errs, code := run(args...); code != 0 || out != want || errs != "" {
						t.Errorf("%s %q: exit %d, stderr %q, stdout\n%s\nwant exit 0 and the help of %q", prog, args, code, errs, out, p)
					}
				}
			}
			refused := map[string][]string{
				// what is asked: the lines of standard error wanted
				"help nosuch":  {`error: no command "nosuch" has help`, `hint: run "` + prog + ` --help" for usage`},
				"help \x1b[2J": {`error: no command "\x1b[2J" has help`},
				"help --data":  {`error: no command "--data" has help`},
			}
			near := map[string]string{"refuge": "submit", "refuge-server": "publish", "refuge-officer": "keygen"}[prog]
			refused["help "+near[:len(near)-1]] = []string{`hint: did you mean "` + prog + ` help ` + near + `"?`}
			sub := map[string][]string{"refuge": {"courier", "pull"}, "refuge-server": {"token", "add"}, "refuge-officer": {"manifest", "sign"}}[prog]
			refused[sub[0]+" help "+sub[1]+"x"] = []string{`hint: did you mean "` + prog + ` ` + sub[0] + ` help ` + sub[1] + `"?`}
			for ask, lines := range refused {
				args := strings.Split(ask, " ")
				out, errs, code := run(args...)
				if code != 2 || out != "" || strings.ContainsRune(errs, '\x1b') {
					t.Errorf("%s %q: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout", prog, args, code, out, errs)
				}
				for _, l := range lines {
					if !strings.Contains(errs, prog+": "+l) {
						t.Errorf("%s %q: stderr\n%s\nhas no line %q", prog, args, errs, prog+": "+l)
					}
				}
			}
		})
	}
}
