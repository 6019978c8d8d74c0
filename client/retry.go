package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Retry is the policy for transient failures: network errors, 5xx, 408
// and 429. Waits grow exponentially from Min to Max with full jitter; a
// Retry-After from the server is honoured (up to 10 minutes). Attempts
// counts consecutive failures without progress; progress (an upload's
// offset moving) resets the count.
type Retry struct {
	Attempts int           // default 8
	Min      time.Duration // default 500ms
	Max      time.Duration // default 60s
}

// maxRetryAfter caps the wait a server may ask for.
const maxRetryAfter = 10 * time.Minute

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 8
	}
	if r.Min <= 0 {
		r.Min = 500 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 60 * time.Second
	}
	if r.Max < r.Min {
		r.Max = r.Min
	}
	return r
}

// wait returns how long to wait before attempt n (n ≥ 1 failures so far).
func (r Retry) wait(n int, err error) time.Duration {
	var se *statusError
	if errors.As(err, &se) && se.retryAfter > 0 {
		return min(se.retryAfter, maxRetryAfter)
	}
	ceil := r.Min
	for i := 1; i < n && ceil < r.Max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, r.Max)
	// Full jitter, but never less than half of Min, so a flapping link
	// is not hammered.
	return r.Min/2 + rand.N(ceil-r.Min/2+1) // #nosec G404 -- jitter for retry back-off needs no secrecy
}

// transient reports whether err may go away if the request is sent again.
func transient(err error) bool {
	var pe *permanentError
	if errors.As(err, &pe) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var ne *netError
		// A time-out of one request (not of the caller's context) is
		// transient; the caller's context is checked by retry itself.
		return errors.As(err, &ne)
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.retryable()
	}
	var ne *netError
	return errors.As(err, &ne)
}

// retry calls f until it succeeds, fails permanently, the attempts are
// spent, or ctx ends.
func (c *Client) retry(ctx context.Context, f func() error) error {
	for n := 1; ; n++ {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !transient(err) || n >= c.opts.Retry.Attempts {
			return unwrapPermanent(err)
		}
		if err := c.pause(ctx, n, err); err != nil {
			return err
		}
	}
}

func unwrapPermanent(err error) error {
	var pe *permanentError
	if errors.As(err, &pe) {
		return pe.err
	}
	return err
}

// pause waits before the next try after failed tries in a row (the
// last with err), telling OnRetry first.
func (c *Client) pause(ctx context.Context, failed int, err error) error {
	d := c.opts.Retry.wait(failed, err)
	if c.opts.OnRetry != nil {
		c.opts.OnRetry(RetryNotice{Err: unwrapPermanent(err), Failed: failed, Of: c.opts.Retry.Attempts, Wait: d})
	}
	return sleep(ctx, d)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Temporary reports whether err, returned after the retries were spent,
// may still go away later: the network failed, or the server answered
// 5xx, 408 or 429. Running the same operation again later is the remedy.
func Temporary(err error) bool {
	return errors.Is(err, ErrNetwork) || transient(err)
}
