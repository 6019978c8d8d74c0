// Package clitest checks a program's command tables (cli.Commands) the way
// a person meets them: each command runs by its name, and a mistyped name
// suggests it. Tests of the programs use it.
package clitest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"refuge/internal/cli"
)

// Run runs the program in process with args, and returns its exit code and
// what it wrote to standard output and to standard error.
type Run func(args ...string) (code int, stdout, stderr string)

// CheckCommands runs Check for each command of prog that a path of words
// names, as a subtest of t named after it.
func CheckCommands(t *testing.T, prog string, paths [][]string, run Run) {
	t.Helper()
	if len(paths) == 0 {
		t.Fatal("no commands to check")
	}
	for _, path := range paths {
		t.Run(strings.Join(path, " "), func(t *testing.T) {
			if err := Check(prog, path, run); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Check checks the command of prog that path names ({"courier", "pull"}):
// "PROG PATH --help" exits 0 and prints on standard output alone help that
// names "PROG PATH", so the table dispatches that name; and PATH with its
// last word's first two letters swapped exits cli.ExitUsage with a hint on
// standard error alone: did you mean "PROG PATH"? It returns what is
// wrong, or nil.
func Check(prog string, path []string, run Run) error {
	if len(path) == 0 {
		return fmt.Errorf("no command named")
	}
	name := strings.Join(path, " ")
	code, stdout, stderr := run(append(path[:len(path):len(path)], "--help")...)
	if code != 0 || !strings.Contains(stdout, prog+" "+name) || stderr != "" {
		return fmt.Errorf("%s %s --help: exit %d, want 0 and help that names %q\nstdout: %s\nstderr: %s", prog, name, code, prog+" "+name, stdout, stderr)
	}
	last := []rune(path[len(path)-1])
	if len(last) < 2 || last[0] == last[1] {
		return fmt.Errorf("swapping the first two letters of %q leaves no other word", string(last))
	}
	last[0], last[1] = last[1], last[0]
	miss := append(path[:len(path)-1:len(path)-1], string(last))
	code, stdout, stderr = run(miss...)
	want := prog + `: hint: did you mean "` + prog + " " + name + `"?`
	if code != cli.ExitUsage || !strings.Contains(stderr, want+"\n") || stdout != "" {
		return fmt.Errorf("%s %s: exit %d, want %d and %q\nstdout: %s\nstderr: %s", prog, strings.Join(miss, " "), code, cli.ExitUsage, want, stdout, stderr)
	}
	return nil
}

// Paths returns the paths of the commands in names, each after parent:
// Paths([]string{"courier"}, "pull", "push") is {"courier", "pull"},
// {"courier", "push"}.
func Paths(parent []string, names ...string) [][]string {
	paths := make([][]string, len(names))
	for i, n := range names {
		paths[i] = append(parent[:len(parent):len(parent)], n)
	}
	return paths
}

// BuildForUser65534 builds the program of the current folder (a test's
// package main) as NAME into a new folder that user 65534 may reach,
// read and run (the folder and its parent 0755), for tests that run it as
// that user: root bypasses the permissions and limits they check. The
// test must run as root. It returns the folder and the binary.
func BuildForUser65534(t *testing.T, name string) (dir, bin string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Fatal("the test runs the program as user 65534 and so must run as root")
	}
	dir = t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil { // #nosec G302 -- a test's temporary folder, opened so that user 65534 may run the program in it
			t.Fatal(err)
		}
	}
	bin = filepath.Join(dir, name)
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil { // #nosec G204 -- go build of the test's own package into its temporary folder
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir, bin
}
