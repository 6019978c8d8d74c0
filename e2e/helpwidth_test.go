package e2e

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"refuge/internal/termtext"
)

// helpCols is the width of the terminal every help text must fit: one
// line of help must not wrap at 80 columns.
const helpCols = 80

// TestHelpFits asks each of the three programs, as built, for every help
// it has: -h, --help and help alone, and -h and --help after each command
// and subcommand its usage lists, also as "help token add" and "token help
// add" (TestHelpInWords checks what those print), and runs each with no
// arguments. Every line printed, on standard output and standard error,
// fits a terminal 80 columns wide, counted as a terminal shows it
// (termtext.Cols: tab stops, wide characters). The commands are read from
// each program's own usage, so a command added later is checked too.
func TestHelpFits(t *testing.T) {
	t.Parallel()
	bin := buildBinaries(t)
	for _, prog := range []string{"refuge", "refuge-server", "refuge-officer"} {
		t.Run(prog, func(t *testing.T) {
			exe := filepath.Join(bin, prog)
			top := runHelp(t, exe, 0, "--help")
			paths := commandPaths(t, prog, top)
			if len(paths) < 3 {
				t.Fatalf("%s --help lists %d commands: %q\n%s", prog, len(paths), paths, top)
			}
			asks := [][]string{{"-h"}, {"--help"}, {"help"}}
			for _, p := range paths {
				asks = append(asks, append(slices.Clone(p), "-h"), append(slices.Clone(p), "--help"))
				asks = append(asks, append([]string{"help"}, p...))
				if len(p) > 1 {
					asks = append(asks, []string{p[0], "help", p[1]}, []string{p[0], "help"})
				}
			}
			for _, args := range asks {
				runHelp(t, exe, 0, args...)
			}
			if prog != "refuge-server" { // which serves, without arguments
				runHelp(t, exe, 2)
			}
		})
	}
}

// runHelp runs exe with args, wants the exit code code, and checks that
// every line it printed fits helpCols columns. It returns standard output.
func runHelp(t *testing.T, exe string, code int, args ...string) string {
	t.Helper()
	cmd := exec.Command(exe, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil && code == 0:
	case errors.As(err, &ee) && ee.ExitCode() == code:
	default:
		t.Errorf("%s %q: %v, want exit %d; stderr:\n%s", filepath.Base(exe), args, err, code, errb.String())
		return out.String()
	}
	if out.Len()+errb.Len() == 0 {
		t.Errorf("%s %q printed nothing", filepath.Base(exe), args)
	}
	for _, text := range []string{out.String(), errb.String()} {
		for _, line := range strings.Split(text, "\n") {
			if n := termtext.Cols(line); n > helpCols {
				t.Errorf("%s %q: a line %d columns wide, more than %d:\n%s", filepath.Base(exe), args, n, helpCols, line)
			}
		}
	}
	return out.String()
}

// commandPaths reads the commands of prog from the "Usage:" section of its
// help: the words after the program's name on each line, up to the first
// flag or argument ("token add" of "refuge-server token add --partner
// NAME"). A command with subcommands comes on its own too ("token").
func commandPaths(t *testing.T, prog, help string) [][]string {
	t.Helper()
	_, section, ok := strings.Cut(help, "\nUsage:\n")
	if !ok {
		t.Fatalf("%s --help has no Usage: section:\n%s", prog, help)
	}
	section, _, _ = strings.Cut(section, "\n\n")
	word := regexp.MustCompile(`^[a-z]+$`)
	var paths [][]string
	for _, line := range strings.Split(section, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != prog {
			continue
		}
		var p []string
		for _, f := range fields[1:] {
			if !word.MatchString(f) {
				break
			}
			p = append(p, f)
		}
		for i := 1; i <= len(p); i++ {
			if !slices.ContainsFunc(paths, func(q []string) bool { return slices.Equal(q, p[:i]) }) {
				paths = append(paths, slices.Clone(p[:i]))
			}
		}
	}
	return paths
}
