package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"testing"
)

func TestError(t *testing.T) {
	e := Errorf(3, "key manifest refused: %s", "expired").Hint("ask for %d", 2).Hint("then run again")
	if e.Error() != "key manifest refused: expired" || e.Code != 3 || !slices.Equal(e.Hints, []string{"ask for 2", "then run again"}) {
		t.Fatalf("%+v", e)
	}
	if e.Unwrap() != nil {
		t.Fatal("an error without a cause unwraps to something")
	}
	e.Cause = fs.ErrNotExist
	wrapped := fmt.Errorf("outer: %w", e)
	var ce *Error
	if !errors.Is(wrapped, fs.ErrNotExist) || !errors.As(wrapped, &ce) || ce != e {
		t.Fatal("the cause or the Error is lost in a chain")
	}
}

func TestUsagef(t *testing.T) {
	e := Usagef("refuge-officer open", "missing -o %s", "OUTDIR")
	if e.Code != ExitUsage || e.Msg != "missing -o OUTDIR" || !slices.Equal(e.Hints, []string{`run "refuge-officer open --help" for usage`}) {
		t.Fatalf("%+v", e)
	}
	// A format verb in an argument stays text.
	if e := Usagef("p", "%s", "100%d"); e.Msg != "100%d" {
		t.Fatalf("%q", e.Msg)
	}
}

func TestInterrupted(t *testing.T) {
	tests := []struct {
		desc string
		sig  os.Signal
		msg  string
	}{
		{desc: "Ctrl-C", sig: os.Interrupt, msg: "interrupted (Ctrl-C)"},
		{desc: "SIGTERM", sig: syscall.SIGTERM, msg: "stopped by SIGTERM"},
	}
	for _, tc := range tests {
		if e := Interrupted(tc.sig); e.Code != ExitInterrupted || e.Msg != tc.msg || len(e.Hints) != 0 {
			t.Errorf("%s: %+v", tc.desc, e)
		}
	}
}
