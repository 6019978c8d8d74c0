package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"refuge/internal/strictjson"
	"refuge/server/api"
)

// errTooSlow is returned by a rateReader whose body arrived too slowly.
var errTooSlow = errors.New("request body arrived too slowly")

// rateReader wraps a request body. Before every read it pushes the
// connection's read deadline BodyStall into the future (but never past
// MaxRequestLifetime from the start), so a client that stops sending, or
// sends for too long, is cut; and once BodyRateWindow has passed it requires the
// average rate since the start to be at least MinBodyRate, so a client
// that trickles a byte now and then (slow loris) is cut too. Whatever
// arrived before the cut is kept by the store, so an honest client on a
// bad network resumes from there.
type rateReader struct {
	r       io.Reader
	rc      *http.ResponseController
	now     func() time.Time
	start   time.Time
	stall   time.Duration
	end     time.Time // the request's lifetime limit
	window  time.Duration
	minRate int64
	n       int64
	err     error // the first read error other than io.EOF
}

func (s *Server) newRateReader(w http.ResponseWriter, r *http.Request) *rateReader {
	return &rateReader{
		r:       r.Body,
		rc:      http.NewResponseController(w),
		now:     time.Now, // real time: deadlines are real
		start:   time.Now(),
		stall:   s.cfg.BodyStall,
		end:     time.Now().Add(s.cfg.MaxRequestLifetime),
		window:  s.cfg.BodyRateWindow,
		minRate: s.cfg.MinBodyRate,
	}
}

func (rr *rateReader) Read(p []byte) (int, error) {
	if rr.err != nil {
		return 0, rr.err
	}
	now := rr.now()
	if el := now.Sub(rr.start); el > rr.window && float64(rr.n) < float64(rr.minRate)*el.Seconds() {
		rr.err = errTooSlow
		return 0, rr.err
	}
	deadline := now.Add(rr.stall)
	if deadline.After(rr.end) {
		deadline = rr.end
	}
	_ = rr.rc.SetReadDeadline(deadline)
	n, err := rr.r.Read(p)
	rr.n += int64(n)
	if err != nil && err != io.EOF {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = errTooSlow
		}
		rr.err = err
	}
	return n, err
}

// bodyError maps a failed body read to an api error.
func bodyError(err error) *api.Error {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errTooSlow):
		return api.Errorf(api.CodeTimeout, "request body arrived too slowly; what arrived was kept, resume from HEAD's Upload-Offset")
	case errors.As(err, &mbe):
		return api.Errorf(api.CodeTooLarge, "request body is larger than %d bytes", mbe.Limit)
	}
	return api.Errorf(api.CodeBadRequest, "request body could not be read; what arrived was kept, resume from HEAD's Upload-Offset")
}

// readJSON decodes a small JSON body strictly: at most MaxJSONBody bytes,
// an object whose field names are exactly fields, each at most once (the
// standard decoder would take one in another letter case and keep the
// last of two), nothing after the value.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any, fields ...string) *api.Error {
	if e := checkJSONType(r.Header.Get("Content-Type")); e != nil {
		return e
	}
	// A small body has BodyStall to arrive in full.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.BodyStall))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return api.Errorf(api.CodeTooLarge, "JSON body is larger than %d bytes", mbe.Limit)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return api.Errorf(api.CodeTimeout, "JSON body arrived too slowly")
		}
		return api.Errorf(api.CodeBadRequest, "JSON body could not be read")
	}
	if err := strictjson.CheckFieldNames(body, fields...); err != nil {
		return api.Errorf(api.CodeBadRequest, "malformed JSON body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return api.Errorf(api.CodeBadRequest, "malformed JSON body: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return api.Errorf(api.CodeBadRequest, "malformed JSON body: data after the JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "body ended early"
	}
	return "unknown field or invalid value"
}

// acquireUpload takes a slot for a PATCH body, or reports false when
// MaxConcurrentUploads are already in flight.
func (s *Server) acquireUpload() bool {
	select {
	case s.uploads <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *Server) releaseUpload() { <-s.uploads }

// room refuses, before anything is stored, an upload or chunk of need
// bytes that would leave the store under MinFreeBytes: a full disk must
// never stop the records, acknowledgements and deletions that free it.
// Concurrent uploads checked at the same moment may together go below
// the floor, never beyond it by more than they declared; a write that
// still finds the disk full is refused as well (noSpace).
func (s *Server) room(r *http.Request, need int64) *api.Error {
	free, err := s.cfg.Store.FreeSpace(r.Context())
	if err != nil {
		return s.storeError("free space", err)
	}
	if free-s.cfg.MinFreeBytes < need {
		return noSpace()
	}
	return nil
}

// noSpace is the answer when the server's disk is too full to take more.
// Nothing of the request was kept; the sender keeps its bundle and tries
// later.
func noSpace() *api.Error {
	return api.Errorf(api.CodeNoSpace, "the server is short of disk space and took nothing from this request; try again later")
}

// writeDeadline gives every answer WriteTimeout to be written, from the
// start of the request. Without it, net/http waits for ever on a client
// that sends a request and never reads the answer (or pipelines many and
// reads none): a goroutine and a connection slot held for good. A PATCH
// and a download push their own deadline to MaxRequestLifetime (a
// defender on Tor may read a large file slowly); everything else is
// small and gets this one. Over HTTP/2 the deadline is the stream's.
func (s *Server) writeDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		next.ServeHTTP(w, r)
	})
}

// headerLimit refuses requests whose request line and headers exceed
// MaxHeaderBytes with a JSON 431.
func (s *Server) headerLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
		for k, vs := range r.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4
			}
		}
		if n > s.cfg.MaxHeaderBytes {
			writeError(w, api.Errorf(api.CodeHeaderTooLarge, "request headers are larger than %d bytes", s.cfg.MaxHeaderBytes))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// unreadBodyGrace is how long, after answering, the server waits for the
// rest of a request body it did not read before it closes the connection.
// Reading it only spares the client's copy of the answer a TCP reset
// (see closeOnError); nothing of it is used.
const unreadBodyGrace = time.Second

// closeOnError makes the answer to a request whose body was not read to
// its end close the connection: an error before the body was read (a
// wrong header on a PATCH, a missing token on an acknowledgement), or a
// body on a request that takes none (a GET, DELETE or OPTIONS with a
// Content-Length). Otherwise net/http would read up to 256 KiB of the
// unread body before it even writes the answer (to keep the connection
// alive for another request), and, once the answer is out, wait for the
// rest of the body with no time limit: a client that sends headers and
// then nothing would hold the answer, the connection and a goroutine for
// ever. After the answer the server waits at most unreadBodyGrace for the
// body, then closes.
//
// The answer to a chunked request closes the connection too. net/http
// reads a request with both Transfer-Encoding: chunked and a
// Content-Length as chunked and drops the Content-Length, without telling
// the handler, as RFC 9112 (6.3) allows; that section also says the
// connection must then close, so that a proxy in front that went by the
// Content-Length cannot have the rest taken for another request. Not
// knowing which chunked requests had both, the server closes after every
// one. (HTTP/2 has no chunked encoding, and a "Connection: close" there
// ends the whole connection with a GOAWAY: its requests of unknown length
// keep it.) Every other request keeps its connection alive.
func closeOnError(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		body := &eofReader{ReadCloser: r.Body}
		ec := &errorCloser{ResponseWriter: w, body: body, always: r.ContentLength < 0 && r.ProtoMajor == 1}
		r2 := r.WithContext(r.Context())
		r2.Body = body
		next.ServeHTTP(ec, r2)
		if !ec.wroteHeader && !body.eof {
			// What net/http would send for a handler that wrote nothing,
			// with Connection: close.
			ec.WriteHeader(http.StatusOK)
		}
		if !body.eof {
			// The connection closes after this answer (ec.WriteHeader);
			// net/http now reads what is left of the body, for at most
			// the grace.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(unreadBodyGrace))
		}
	})
}

// eofReader is a request body that remembers whether it was read to its
// end.
type eofReader struct {
	io.ReadCloser
	eof bool
}

func (b *eofReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// errorCloser sets "Connection: close" on an error answer, on any answer
// written before the request body was read to its end, and on every
// answer when always is set.
type errorCloser struct {
	http.ResponseWriter
	body        *eofReader
	always      bool
	wroteHeader bool
}

func (e *errorCloser) WriteHeader(code int) {
	if !e.wroteHeader && (e.always || code >= 400 || !e.body.eof) {
		e.Header().Set("Connection", "close")
	}
	e.wroteHeader = true
	e.ResponseWriter.WriteHeader(code)
}

func (e *errorCloser) Write(p []byte) (int, error) {
	if !e.wroteHeader {
		e.WriteHeader(http.StatusOK)
	}
	return e.ResponseWriter.Write(p)
}

func (e *errorCloser) Unwrap() http.ResponseWriter { return e.ResponseWriter }
