package cli

import (
	"errors"
	"fmt"
	"io"
)

// Output writes messages for people, one line each, to W (standard error:
// standard output is for results), each prefixed with the program's name.
type Output struct {
	Prog string
	W    io.Writer
}

// Infof prints "PROG: MESSAGE".
func (o Output) Infof(format string, args ...any) { o.line("", format, args...) }

// Warnf prints "PROG: warning: MESSAGE".
func (o Output) Warnf(format string, args ...any) { o.line("warning: ", format, args...) }

// Hintf prints "PROG: hint: MESSAGE".
func (o Output) Hintf(format string, args ...any) { o.line("hint: ", format, args...) }

func (o Output) line(kind, format string, args ...any) {
	fmt.Fprintf(o.W, "%s: %s%s\n", o.Prog, kind, fmt.Sprintf(format, args...))
}

// Fail prints err as "PROG: error: MESSAGE" and its hints, and returns the
// exit code for it: an Error's (in err's chain) code, or ExitFailure for
// any other error. A failure never exits 0; a nil err prints nothing and
// returns 0.
func (o Output) Fail(err error) int {
	if err == nil {
		return 0
	}
	var ce *Error
	if !errors.As(err, &ce) {
		ce = &Error{Msg: err.Error()}
	}
	o.line("error: ", "%s", ce.Msg)
	for _, h := range ce.Hints {
		o.Hintf("%s", h)
	}
	if ce.Code == 0 {
		return ExitFailure
	}
	return ce.Code
}
