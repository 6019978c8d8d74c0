package client

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"refuge/internal/termtext"
	"refuge/server/api"
)

// knownCodes lists the api codes, to map a status back to a code when a
// server (or a proxy in between) answers without a JSON error body.
var knownCodes = []api.Code{
	api.CodeBadRequest, api.CodeUnauthorized, api.CodeForbidden, api.CodeNotFound,
	api.CodeMethod, api.CodeConflict, api.CodeGone, api.CodePrecondition,
	api.CodeTooLarge, api.CodeUnsupportedType, api.CodeUnprocessable, api.CodeChecksum,
	api.CodeRateLimited, api.CodeHeaderTooLarge, api.CodeInternal, api.CodeUnavailable,
	api.CodeNoSpace, api.CodeTimeout, api.CodeRange,
}

// codeFor returns the api code of an HTTP status: the documented one, or
// bad_request / internal for other 4xx / 5xx.
func codeFor(status int) api.Code {
	for _, c := range knownCodes {
		if c.Status() == status {
			return c
		}
	}
	if status >= 500 {
		return api.CodeInternal
	}
	return api.CodeBadRequest
}

// readError turns a non-2xx response into an *api.Error, keeping the
// server's code and message when the body is the shared JSON envelope.
// It also records Retry-After for the retry loop.
func readError(resp *http.Response) error {
	var body api.ErrorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &api.Error{Code: codeFor(resp.StatusCode)}
	if json.Unmarshal(data, &body) == nil && body.Error != nil && body.Error.Code != "" {
		e = body.Error
	}
	if !validCode(e.Code) {
		e.Code = codeFor(resp.StatusCode)
	}
	e.Message = printableMessage(e.Message)
	if e.Message == "" {
		e.Message = fmt.Sprintf("the server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return &statusError{err: e, status: resp.StatusCode, retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
}

// validCode reports whether c can be an error code: a short word of
// lowercase letters and underscores, as every code of package api is (a
// later server may add codes).
func validCode(c api.Code) bool {
	if c == "" || len(c) > 32 {
		return false
	}
	for _, b := range []byte(c) {
		if (b < 'a' || b > 'z') && b != '_' {
			return false
		}
	}
	return true
}

// maxMessage bounds the length of a server's error message as the client
// keeps it: the server's own are one sentence.
const maxMessage = 512

// printableMessage returns a server's error message as it may reach a
// person's terminal: one line, at most maxMessage bytes, every character
// a terminal would act on (escape sequences, carriage returns, line
// breaks, bidi controls) replaced (termtext.Line). A hostile server's
// message could otherwise set the clipboard, rewrite the window title or
// forge lines of the program's output.
func printableMessage(s string) string {
	// Replaced first, then cut: a one-byte control character becomes a
	// three-byte replacement character, and the bound is on what is kept.
	s = termtext.Line(s)
	if len(s) > maxMessage {
		n := maxMessage
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

// statusError is an *api.Error with the HTTP status it came with. It
// unwraps to the *api.Error, so callers use errors.Is / errors.As on the
// api vocabulary.
type statusError struct {
	err        *api.Error
	status     int
	retryAfter time.Duration
	busy       bool // a conflict that ends with another request: retried
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// retryable reports whether the answer may succeed if sent again.
func (e *statusError) retryable() bool {
	return e.busy || e.status >= 500 || e.status == http.StatusTooManyRequests || e.status == http.StatusRequestTimeout
}

// retryAfter parses a Retry-After header (seconds or an HTTP date). A hostile
// or broken server's value is clamped to a day before it becomes a Duration,
// so that it can never overflow into a negative wait; the retry loop caps it
// further.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(min(s, maxRetryAfterSeconds)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

const maxRetryAfterSeconds = 24 * 60 * 60

// netError is a failure to talk to the server at all (connection refused
// or cut, time-out, proxy failure). It is always worth retrying.
type netError struct{ err error }

// Error describes the failure without the address, URL or proxy it
// involved: upload URLs are capabilities, and addresses do not belong in
// messages that users paste into bug reports.
func (e *netError) Error() string { return "network: " + describeNet(e.err) }

func describeNet(err error) string {
	var dnsErr *net.DNSError
	var tlsErr *tls.CertificateVerificationError
	var opErr *net.OpError
	var stalled *stalledError
	var slow *answerTooSlowError
	switch {
	case errors.As(err, &stalled):
		return stalled.Error()
	case errors.As(err, &slow):
		return slow.Error()
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out"
	case errors.As(err, &dnsErr):
		return "the server's name could not be resolved"
	case errors.As(err, &tlsErr):
		return "the server's TLS certificate is not valid"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return "connection cut"
	case strings.Contains(err.Error(), "socks connect"), strings.Contains(err.Error(), "proxyconnect"):
		return "the proxy could not connect"
	case errors.As(err, &opErr):
		return "connection failed (" + opErr.Op + ")"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	return "connection failed"
}
func (e *netError) Unwrap() error { return e.err }

// TimedOut reports whether err is the failure of a try that waited for
// the server until a time limit (no answer, an answer that stopped
// coming, one too slow), not one that failed at once (a refusal, a cut):
// whoever waits for it has waited long already.
func TimedOut(err error) bool {
	var ne *netError
	if !errors.As(err, &ne) {
		return false
	}
	var stalled *stalledError
	var slow *answerTooSlowError
	var te net.Error
	return errors.As(ne.err, &stalled) || errors.As(ne.err, &slow) ||
		errors.Is(ne.err, context.DeadlineExceeded) || errors.Is(ne.err, os.ErrDeadlineExceeded) ||
		(errors.As(ne.err, &te) && te.Timeout())
}

// ErrNetwork matches (errors.Is) every failure to reach the server, after
// the retries are spent.
var ErrNetwork = errors.New("network failure")

func (e *netError) Is(target error) bool { return target == ErrNetwork }

// permanentError stops the retry loop.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err: err} }
