package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"refuge/client"
	"refuge/internal/kdfcost"
)

// fastRetryEnv, set to 1 in the environment of the tests' refuge (as
// cli_test.go's user.command does), makes it retry after milliseconds:
// the fault tests cut the link dozens of times, and the client's back-off
// would make them take minutes. The knob is read here, in the test binary
// only; the release binary has none (TestReleaseBuildHasNoTestKnob).
const fastRetryEnv = "REFUGE_TEST_FAST_RETRY"

var fastRetry = client.Retry{Attempts: 50, Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}

// answerTimeoutEnv, set to a duration in the environment of the tests'
// refuge, bounds each answer to it (client.Options.AnswerTimeout, 8
// minutes by default) and stops after 3 tries: how a server that never
// answers is met, in seconds. Like fastRetryEnv, it is read here only.
const answerTimeoutEnv = "REFUGE_TEST_ANSWER_TIMEOUT"

// timeoutEnv, set to a duration in the environment of the tests' refuge,
// is its wait for the connection and an answer's headers
// (client.Options.Timeout, 60 s by default): how a chunk that stalls once
// it is handed over is met, in seconds. It is read here only.
const timeoutEnv = "REFUGE_TEST_TIMEOUT"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"refuge": func() {
			kdfcost.LowerForTests()
			var tune clientTuning
			if os.Getenv(fastRetryEnv) == "1" {
				tune.retry = fastRetry
			}
			if d, err := time.ParseDuration(os.Getenv(answerTimeoutEnv)); err == nil {
				tune.answerTimeout = d
				tune.retry.Attempts = 3
			}
			if d, err := time.ParseDuration(os.Getenv(timeoutEnv)); err == nil {
				tune.timeout = d
			}
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, tune))
		},
	})
}

// TestScript runs the txtar scripts in testdata/script against the real
// command. Setup gives every script fresh fixtures made with the crypto
// packages (see fixtures_test.go) and stock age on PATH.
func TestScript(t *testing.T) {
	ageDir := buildStockAge(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", ageDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("REFUGE_STATE_DIR", filepath.Join(env.WorkDir, ".state"))
			return makeFixtures(env)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mode":     cmdMode,
			"exitcode": cmdExitCode,
			"samesize": cmdSameSize,
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
		t.Fatalf("the tests need script(1) to give a command a terminal: apt-get install util-linux (or run ./test.sh)")
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
	if got := fi.Mode().Perm(); (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %v (want %v, negated: %v)", args[0], got, os.FileMode(want), neg)
	}
}

// cmdExitCode runs a command and checks its exit code:
// exitcode N PROG ARGS...
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// cmdSameSize checks that two files have the same size: samesize A B.
func cmdSameSize(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samesize A B")
	}
	a, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	b, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if (a.Size() == b.Size()) == neg {
		ts.Fatalf("sizes %d and %d (negated: %v)", a.Size(), b.Size(), neg)
	}
}
