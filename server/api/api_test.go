package api

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestErrorRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    *Error
		status int
		is     error
	}{
		{"not found", Errorf(CodeNotFound, "no such upload"), 404, ErrNotFound},
		{"checksum", Errorf(CodeChecksum, "mismatch"), 460, ErrChecksum},
		{"rate limited", Errorf(CodeRateLimited, "slow down"), 429, ErrRateLimited},
		{"timeout", Errorf(CodeTimeout, "too slow"), 408, &Error{Code: CodeTimeout}},
		{"disk full", Errorf(CodeNoSpace, "no room"), 507, ErrNoSpace},
		{"range", Errorf(CodeRange, "one range"), 416, &Error{Code: CodeRange}},
		{"unknown code", Errorf("mystery", "x"), 500, &Error{Code: "mystery"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.err.Code.Status(); got != c.status {
				t.Fatalf("status %d, want %d", got, c.status)
			}
			b, err := json.Marshal(ErrorBody{Error: c.err})
			if err != nil {
				t.Fatal(err)
			}
			var back ErrorBody
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(back.Error, c.is) || back.Error.Message != c.err.Message {
				t.Fatalf("round trip lost the error: %s", b)
			}
			if errors.Is(back.Error, ErrUnauthorized) {
				t.Fatal("matches an unrelated code")
			}
		})
	}
}
