package client

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"unicode"
	"unicode/utf8"

	"refuge/server/api"
)

// FuzzReadError feeds arbitrary error bodies and statuses (a hostile
// server's answers) to readError: it always yields an *api.Error with a
// code and a message, both of which a terminal can show as they are (no
// control characters, one line, bounded), and never panics.
func FuzzReadError(f *testing.F) {
	f.Add(404, []byte(`{"error":{"code":"not_found","message":"no such upload"}}`), "")
	f.Add(429, []byte(`{"error":{"code":"rate_limited","message":"slow down"}}`), "3")
	f.Add(500, []byte(`<html>bad gateway</html>`), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(460, []byte(`{"error":null}`), "-1")
	f.Add(400, []byte(`{"error":{"code":"","message":""}}`), "99999999999999999999")
	f.Add(400, []byte("{\"error\":{\"code\":\"bad_request\\u001b[2J\",\"message\":\"a\\u001b]52;c;eA==\\u0007\\nb\\u202e\"}}"), "")
	f.Fuzz(func(t *testing.T, status int, body []byte, ra string) {
		if status < 100 || status > 999 {
			return
		}
		resp := &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(body)), Header: http.Header{"Retry-After": {ra}}}
		err := readError(resp)
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code == "" || ae.Message == "" {
			t.Fatalf("readError gave %#v", err)
		}
		if !validCode(ae.Code) || len(ae.Message) > maxMessage+len("…") || !utf8.ValidString(ae.Message) {
			t.Fatalf("readError kept code %q, message %q", ae.Code, ae.Message)
		}
		for _, r := range ae.Error() {
			if !unicode.IsPrint(r) {
				t.Fatalf("readError kept %q, which a terminal would act on, in %q", r, ae.Error())
			}
		}
		if d := retryAfter(ra); d < 0 {
			t.Fatalf("negative Retry-After %v", d)
		}
	})
}

// FuzzVerifyEvents checks that the event-chain verifier never accepts an
// event whose hash is not that of its line.
func FuzzVerifyEvents(f *testing.F) {
	f.Add(uint64(1), "2026-11-30", "completed", "0123456789abcdef0123456789abcdef", ZeroHash, ZeroHash, ZeroHash)
	f.Add(uint64(2), "x", "y", "z", "", "", "")
	f.Fuzz(func(t *testing.T, seq uint64, day, typ, id, sum, prev, hash string) {
		e := api.Event{Seq: seq, Day: day, Type: typ, SubmissionID: id, SHA256: sum, Prev: prev, Hash: hash}
		_, _, err := VerifyEvents(seq-1, prev, []api.Event{e})
		if err == nil && hash != sha256hex(EventLine(e)) {
			t.Fatal("accepted an event whose hash does not match")
		}
	})
}
