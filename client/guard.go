package client

import (
	"context"
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
// an upload that the server stopped reading.
type stalledError struct {
	idle    time.Duration
	reading bool
}

func (e *stalledError) Error() string {
	if e.reading {
		return fmt.Sprintf("the server stopped reading the upload (no byte went out for %v)", e.idle)
	}
	return fmt.Sprintf("the server stopped sending (no byte came for %v)", e.idle)
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
