package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// idleGuard wraps the transport so that every answer's body is cut when
// no byte of it comes for idle: a hostile or seized server that sends its
// headers and then nothing (or a link that hangs) would otherwise hold
// the client forever. The cut is a stalledError, which callers report as
// a network failure and retry.
type idleGuard struct {
	rt   http.RoundTripper
	idle time.Duration
}

func (g *idleGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	resp, err := g.rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return resp, err
	}
	b := &guardedBody{rc: resp.Body, cancel: cancel, idle: g.idle}
	b.timer = time.AfterFunc(g.idle, func() {
		b.stalled.Store(true)
		cancel()
	})
	resp.Body = b
	return resp, nil
}

// guardedBody is an answer's body whose reads push back the idle timer.
type guardedBody struct {
	rc      io.ReadCloser
	cancel  context.CancelFunc
	idle    time.Duration
	timer   *time.Timer
	stalled atomic.Bool
}

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && !b.stalled.Load() {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF && b.stalled.Load() {
		err = &stalledError{idle: b.idle}
	}
	return n, err
}

func (b *guardedBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel()
	return err
}

// stalledError is the failure of an answer that stopped coming, or of
// an upload that the server stopped taking (reading): no more of it could
// go out, or (unanswered) all of a chunk was handed over and no answer
// came.
type stalledError struct {
	idle                time.Duration
	reading, unanswered bool
}

func (e *stalledError) Error() string {
	switch {
	case e.unanswered:
		return fmt.Sprintf("the server has not confirmed the last part of the upload for %v (it stopped taking the upload, or the link is very slow)", e.idle)
	case e.reading:
		return fmt.Sprintf("the server stopped taking the upload (no more of it could go out for %v)", e.idle)
	}
	return fmt.Sprintf("the server stopped sending (no byte came for %v)", e.idle)
}

// UploadStalled reports whether err is the failure of an upload's chunk
// that stalled in the middle: the server stopped taking it, or did not
// confirm it once it was all handed over. The upload goes on from what
// the server holds, which a person should be told in those words rather
// than as a server that does not answer.
func UploadStalled(err error) bool {
	var ne *netError
	var stalled *stalledError
	return errors.As(err, &ne) && errors.As(ne.err, &stalled) && stalled.reading
}

// answerTooSlowError is the failure of an answer that did not end within
// Options.AnswerTimeout.
type answerTooSlowError struct{ limit time.Duration }

func (e *answerTooSlowError) Error() string {
	return fmt.Sprintf("the server's answer did not end within %v", e.limit)
}

// tooSlow returns the error for a try whose answer context (from
// answerContext) ended while the caller's ctx did not, or nil.
func (c *Client) tooSlow(ctx, try context.Context) error {
	if ctx.Err() == nil && try.Err() == context.DeadlineExceeded {
		return &netError{err: &answerTooSlowError{limit: c.opts.AnswerTimeout}}
	}
	return nil
}
