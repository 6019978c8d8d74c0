// Package client talks to a refuge-server over HTTP: the tus 1.0 uploader
// used by refuge submit, relay and courier push, the submitter's status and
// replies, and the courier's list, download, acknowledgement and event log
// calls. Partners may use it from their own systems.
//
// # Guarantees
//
// Every call takes a context and has time-outs (see [Options]). Errors
// that the server reports come back as *[api.Error], so
// errors.Is(err, api.ErrNotFound) works on the client as on the server.
// Errors never contain a token, a phrase or a file name.
//
// Requests carry the fixed User-Agent "refuge", never a Referer, never a
// file name, never a cookie; redirects are refused (a server that
// redirects could send a token or an upload to another host). A hostile
// server's answers are bounded: an answer that stalls is cut
// (Options.IdleTimeout), a JSON answer that takes too long in all
// (Options.AnswerTimeout) or is larger than 16 MiB is refused, and so are
// headers past 64 KiB.
//
// # Networks
//
// Transient failures (network errors, 5xx, 429) are retried with
// exponential back-off and jitter, honouring Retry-After; other 4xx
// answers are final. Uploads resume from the offset the server reports
// (tus HEAD) and shrink their chunk size when the link keeps breaking.
// Proxies: socks5h:// (Tor: names resolved by the proxy), socks5://, http://
// and https:// proxies, and the HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and
// NO_PROXY variables (see [ProxyFunc]).
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
	"net/url"
	"strings"
	"time"

	"refuge/server/api"
)

// UserAgent is the only User-Agent the client ever sends: the same for
// every user, so it identifies no one.
const UserAgent = "refuge"

// Options configure a Client. The zero value of every field but Server
// has a sensible default.
type Options struct {
	// Server is the base URL, for example https://drop.example.org or an
	// http://…onion address reached through Tor.
	Server string
	// Proxy is an explicit proxy URL (socks5h://127.0.0.1:9050). Empty means
	// the environment variables (see ProxyFunc); "direct" means none.
	Proxy string
	// Timeout bounds each request's connection set-up and the wait for the
	// response headers (default 60s; Tor can be slow).
	Timeout time.Duration
	// IdleTimeout cuts a request whose body (sent or received) moves no
	// byte for this long, so that a server that stops sending, or a hung
	// connection, is retried instead of waited on forever (default 2m).
	IdleTimeout time.Duration
	// AnswerTimeout bounds each try of a request whose answer is not a
	// file (a JSON answer, the key manifest), from sending it to the last
	// byte of the answer: a server that trickles a byte every few seconds
	// keeps IdleTimeout at bay but not this (default 8m). File downloads
	// and upload chunks have no such bound, only IdleTimeout.
	AnswerTimeout time.Duration
	// Retry is the retry policy (see Retry for its defaults).
	Retry Retry
	// ChunkSize is the first tus PATCH body size (default 256 KiB). The
	// uploader doubles it while chunks take under 2 s (quadruples it under
	// 0.25 s; up to 128 MiB), halves it when one takes over 20 s or
	// breaks (down to 64 KiB). A small first chunk is acknowledged soon
	// even on a slow link (some 13 s over Tor at 20 KB/s, where 8 MiB took
	// 7 minutes with nothing to show); on a fast link the seventh chunk
	// is 128 MiB (the sixth when starting from 8 MiB).
	ChunkSize int64
	// OnRetry, if set, is called before each wait between tries, so that
	// a person on a bad link is not left in silence.
	OnRetry func(RetryNotice)
}

// RetryNotice describes a wait before the next try.
type RetryNotice struct {
	Err    error         // why the last try failed
	Failed int           // tries failed in a row so far (without progress)
	Of     int           // how many in a row the policy allows
	Wait   time.Duration // until the next try
}

// Client is a refuge-server API client. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	http  *http.Client
	opts  Options
	proxy func(*http.Request) (*url.URL, error)
}

// New returns a client for the server in o.
func New(o Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(o.Server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("server address must be an http:// or https:// URL")
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("server address must not carry credentials, a query or a fragment")
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = 8 * time.Minute
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = defaultChunk
	}
	o.ChunkSize = min(max(o.ChunkSize, minChunk), maxChunk)
	o.Retry = o.Retry.withDefaults()
	proxy, err := ProxyFunc(o.Proxy)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 proxy,
		DialContext:           bulkDial(dialer),
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		ExpectContinueTimeout: 5 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		// A server's headers are a few hundred bytes; the default allows
		// 1 MiB of them.
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	hc := &http.Client{
		Transport: &idleGuard{rt: tr, idle: o.IdleTimeout},
		// Never follow a redirect: the 3xx answer itself comes back, and
		// send refuses it. No cookie jar: a cookie a server sets is never
		// kept nor sent back.
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return &Client{base: base, http: hc, opts: o, proxy: proxy}, nil
}

// Server returns the base URL the client talks to.
func (c *Client) Server() string { return c.base.String() }

// Close closes idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// url resolves a path (or an absolute URL given by the server, such as a
// tus upload Location) against the base. A Location on another host is
// refused: the client only ever talks to the server it was given.
func (c *Client) url(ref string) (string, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", errors.New("server gave a malformed URL")
	}
	abs := c.base.ResolveReference(u)
	if abs.Scheme != c.base.Scheme || abs.Host != c.base.Host {
		return "", errors.New("server gave a URL on another host; refusing to follow it")
	}
	if abs.User != nil {
		// net/http would send it as a Basic Authorization header: words
		// of the server's choosing, a mark to follow the client by.
		return "", errors.New("server gave a URL with a user name or password in it; refusing to follow it")
	}
	return abs.String(), nil
}

// newRequest builds a request with the fixed headers.
func (c *Client) newRequest(ctx context.Context, method, ref string, body io.Reader, token string) (*http.Request, error) {
	u, err := c.url(ref)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building %s request: %w", method, err)
	}
	req.Header.Set("User-Agent", UserAgent)
	if token != "" {
		if !headerToken(token) {
			// net/http would refuse to send it, and that error would
			// look like a network failure and be retried.
			return nil, errMalformedToken
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

var errMalformedToken = errors.New("the token is malformed: it holds a character that cannot be sent (a space, a line break or a control character)")

// headerToken reports whether tok can go into an Authorization header as
// it is: printable ASCII without spaces.
func headerToken(tok string) bool {
	for _, b := range []byte(tok) {
		if b <= ' ' || b > '~' {
			return false
		}
	}
	return true
}

// ValidToken reports whether tok is a bearer token that refuge-server
// can decode (api.DecodeToken, the server's own rule): 64 hexadecimal
// characters, or 43 characters of unpadded base64url in its canonical
// spelling. A token it refuses would only be answered 401.
func ValidToken(tok string) bool {
	_, ok := api.DecodeToken(tok)
	return ok
}

// send performs one request without retrying; a non-2xx answer becomes
// an *api.Error (the body is read and closed).
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	// net/http reports a plain HTTP answer with an error of its own, and
	// other answers as the TLS record that made no sense.
	if rh := (tls.RecordHeaderError{}); errors.As(err, &rh) || err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return nil, permanent(ErrNotTLS)
	}
	if err != nil && strings.Contains(err.Error(), "server response headers exceeded") {
		return nil, permanent(errHeadersTooLarge)
	}
	if errors.Is(err, ErrOnionNeedsTor) {
		return nil, permanent(ErrOnionNeedsTor)
	}
	if err != nil {
		return nil, &netError{err: err}
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		resp.Body.Close()
		return nil, permanent(fmt.Errorf("%w (it answered %d %s)", errRedirect, resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return resp, readError(resp)
	}
	return resp, nil
}

// answerContext bounds one try of a request whose answer is not a file
// (Options.AnswerTimeout).
func (c *Client) answerContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.opts.AnswerTimeout)
}

// getJSON GETs ref with retries and decodes the JSON answer into v.
func (c *Client) getJSON(ctx context.Context, ref, token string, v any) error {
	return c.doJSON(ctx, http.MethodGet, ref, token, nil, v)
}

// doJSON sends an optional JSON body with retries (only for idempotent
// requests) and decodes the JSON answer into v (if not nil).
func (c *Client) doJSON(ctx context.Context, method, ref, token string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encoding request: %w", err)
		}
	}
	return c.retry(ctx, func() error {
		var r io.Reader
		if body != nil {
			r = strings.NewReader(string(body))
		}
		try, cancel := c.answerContext(ctx)
		defer cancel()
		req, err := c.newRequest(try, method, ref, r, token)
		if err != nil {
			return permanent(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.send(req)
		if slow := c.tooSlow(ctx, try); err != nil && slow != nil {
			return slow
		}
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if out == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			return nil
		}
		if resp.ContentLength > maxJSON {
			return permanent(errAnswerTooLarge)
		}
		dec := json.NewDecoder(&capReader{r: resp.Body, left: maxJSON})
		if err := dec.Decode(out); err != nil {
			if errors.Is(err, errAnswerTooLarge) {
				return permanent(errAnswerTooLarge)
			}
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			if errors.As(err, &se) || errors.As(err, &te) {
				// Not a body cut short: something else answers there (a
				// login page, a proxy's notice, another service).
				return permanent(errNotOurAnswer)
			}
			if slow := c.tooSlow(ctx, try); slow != nil {
				return slow
			}
			return &netError{err: fmt.Errorf("reading the server's answer: %w", err)}
		}
		return nil
	})
}

// ErrNotTLS is the error when what answers at an https:// address does
// not speak TLS: a server without TLS, or something on the way in its
// place (a censor's filter, a Wi-Fi login page). Retrying does not help.
var ErrNotTLS = errors.New("what answers at this https:// address does not speak HTTPS (TLS)")

var errNotOurAnswer = errors.New("the server's answer is not the answer of a refuge-server (something else answers at this address, or a page in its place: a Wi-Fi login, a proxy's notice)")

var errRedirect = errors.New("the server redirected the request elsewhere; refusing: refuge never follows a redirect (it could send a token or an upload to another host)")

// maxJSON bounds any JSON answer the client reads: the longest a
// refuge-server gives (a courier's list of some 20 000 submissions) is a
// few MiB.
const maxJSON = 16 << 20

// maxHeaderBytes bounds the headers of an answer.
const maxHeaderBytes = 64 << 10

var errHeadersTooLarge = fmt.Errorf("the server's answer headers are larger than %d KiB, far larger than any a refuge-server gives; refusing to read them", maxHeaderBytes>>10)

var errAnswerTooLarge = fmt.Errorf("the server's answer is larger than %d MiB, far larger than any a refuge-server gives; refusing to read it", maxJSON>>20)

// capReader reads from r and fails with errAnswerTooLarge once more
// than left bytes come.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		return 0, errAnswerTooLarge
	}
	return n, err
}
