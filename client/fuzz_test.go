package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"refuge/internal/termtext"
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
	// A long message of control characters: each one-byte character is
	// replaced by a three-byte one, so cutting first kept three times the
	// bound.
	f.Add(400, []byte(`{"error":{"code":"bad_request","message":"`+strings.Repeat(`\u0001`, 600)+`"}}`), "")
	// Spaces of other scripts are shown as they are, and kept.
	f.Add(400, []byte("{\"error\":{\"code\":\"bad_request\",\"message\":\"a\u00a0b\u3000c\u200cd\"}}"), "")
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
			if !termtext.Shown(r) {
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

// FuzzServerAnswers decodes arbitrary bytes as a hostile server's status,
// reply list, submission list and acknowledgement answer, and runs the
// checks the client runs on each. What passes must be safe to print and
// to name files with: every text printable (nothing a terminal acts on),
// ids and hashes lowercase hex that cannot be paths, sizes not negative,
// days real dates.
func FuzzServerAnswers(f *testing.F) {
	id, sum := "0123456789abcdef0123456789abcdef", strings.Repeat("0", 64)
	f.Add([]byte(`{"id":"` + id + `","status":"replied","received":"2026-11-30","replies":[{"id":"` + id + `","size":10,"sha256":"` + sum + `","created":"2026-11-30"}]}`))
	f.Add([]byte(`{"submissions":[{"id":"` + id + `","kind":"referral","partner":"FLD","received":"2026-11-30","status":"received","size":3,"sha256":"` + sum + `","replies":[]}]}`))
	f.Add([]byte(`{"submission_id":"` + id + `","deleted":true}`))
	f.Add([]byte(`{"submissions":[{"id":"` + id + `","kind":"anonymous","received":"2026-11-30","status":"received","size":3,"sha256":"` + sum + `"}],"more":true}`))
	f.Add([]byte(`{"status":"received\u001b]52;c;eA==\u0007","received":"2026-02-30","replies":[{"id":"../x","size":-1}]}`))
	f.Add([]byte(`{"submissions":[{"id":"` + id + `","partner":"a\u202eb","sha256":"` + sum + "  x\\n" + `"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st api.Status
		if json.Unmarshal(data, &st) == nil && checkStatus(st) == nil {
			word(t, st.Status)
			day(t, st.Received)
			replies(t, st.Replies)
		}
		var rl api.ReplyList
		if json.Unmarshal(data, &rl) == nil && checkReplies(rl.Replies) == nil {
			replies(t, rl.Replies)
		}
		var ar api.AckResult
		if json.Unmarshal(data, &ar) == nil && checkAckResult(ar) == nil {
			hexOf(t, ar.SubmissionID, 32)
		}
		var sl api.SubmissionList
		if json.Unmarshal(data, &sl) == nil {
			if n := len(sl.Submissions); checkPage(sl, id, 0) == nil && (n > api.MaxSubmissionsPage || sl.More && (n == 0 || sl.Submissions[n-1].ID <= id)) {
				t.Fatalf("accepted a page of %d, more %v, that does not go forward from %s", n, sl.More, id)
			}
			for _, s := range sl.Submissions {
				if checkSubmission(s) != nil {
					continue
				}
				hexOf(t, s.ID, 32)
				hexOf(t, s.SHA256, 64)
				word(t, s.Kind)
				word(t, s.Status)
				day(t, s.Received)
				printable(t, s.Partner)
				if s.Size < 0 {
					t.Fatalf("accepted size %d", s.Size)
				}
				replies(t, s.Replies)
			}
		}
	})
}

func replies(t *testing.T, rs []api.Reply) {
	for _, r := range rs {
		hexOf(t, r.ID, 32)
		hexOf(t, r.SHA256, 64)
		day(t, r.Created)
		if r.Size < 0 {
			t.Fatalf("accepted reply size %d", r.Size)
		}
	}
}

func hexOf(t *testing.T, s string, n int) {
	if len(s) != n || strings.Trim(s, "0123456789abcdef") != "" || filepath.Base(s) != s {
		t.Fatalf("accepted %q where %d lowercase hex characters belong", s, n)
	}
}

func word(t *testing.T, s string) {
	if s == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Fatalf("accepted %q where a lowercase word belongs", s)
	}
}

func day(t *testing.T, s string) {
	if d, err := time.Parse(time.DateOnly, s); err != nil || d.Format(time.DateOnly) != s {
		t.Fatalf("accepted %q where a day belongs", s)
	}
}

func printable(t *testing.T, s string) {
	if !utf8.ValidString(s) {
		t.Fatalf("accepted %q, not UTF-8", s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			t.Fatalf("accepted %q, which holds %q", s, r)
		}
	}
}
