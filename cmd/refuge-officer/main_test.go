package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"refuge-officer": func() int {
			testOnlyConfigureScryptRecipient = func(r *age.ScryptRecipient) { r.SetWorkFactor(10) }
			return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		},
	}))
}

// TestScript runs the txtar scripts in testdata/script: each runs the real
// command as a user would, with stock age (built from the module cache) on
// PATH for interoperability checks.
func TestScript(t *testing.T) {
	ageDir := buildStockAge(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", ageDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("REFUGE_STATE_DIR", filepath.Join(env.WorkDir, ".state"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mode": cmdMode,
		},
	})
}

// buildStockAge builds the stock age command of the module cache.
func buildStockAge(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "age"), "filippo.io/age/cmd/age")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building stock age: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatalf("the tests need script(1) to type passphrases into stock age: apt-get install util-linux (or run ./test.sh)")
	}
	return dir
}

// cmdMode checks a file's permission bits: mode FILE 0600.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	got := fi.Mode().Perm()
	if (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %v; want %s%v", args[0], got, map[bool]string{true: "not ", false: ""}[neg], os.FileMode(want))
	}
	fmt.Fprint(ts.Stdout(), "")
}
