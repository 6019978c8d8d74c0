package cli

import (
	"errors"
	"fmt"
	"io"

	"refuge/internal/termtext"
)

// Output writes messages for people, one line each, to W (standard error:
// standard output is for results), each prefixed with the program's name.
// A message may quote what came from outside (a server's answer, a name
// from a bundle, an error that repeats either): each is written as one
// line with every character a terminal would act on replaced by U+FFFD
// (termtext.Line), so that none can drive the terminal or forge a line.
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
	fmt.Fprintf(o.W, "%s: %s%s\n", o.Prog, kind, termtext.Line(fmt.Sprintf(format, args...)))
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
