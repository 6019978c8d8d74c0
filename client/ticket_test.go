package client

import (
	"path/filepath"
	"testing"

	"refuge/internal/lowerhex"
)

func TestTicketRoundTrip(t *testing.T) {
	b := filepath.Join(t.TempDir(), "bundle.age")
	var v [32]byte
	v[0] = 0xab
	if err := WriteTicket(b, "0123456789abcdef0123456789abcdef", v); err != nil {
		t.Fatal(err)
	}
	if err := WriteTicket(b, "0123456789abcdef0123456789abcdef", v); err == nil {
		t.Fatal("a ticket was overwritten")
	}
	got, err := ReadTicket(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.SubmissionID != "0123456789abcdef0123456789abcdef" || got.Verifier[:2] != "ab" {
		t.Fatalf("round trip gave %+v", got)
	}
}

func FuzzParseTicket(f *testing.F) {
	f.Add([]byte(`{"format":"refuge-ticket-v1","submission_id":"0123456789abcdef0123456789abcdef","verifier":"ab00000000000000000000000000000000000000000000000000000000000000"}`))
	f.Add([]byte(`{"format":"refuge-ticket-v1","submission_id":"0123456789ABCDEF0123456789abcdef","verifier":""}`))
	f.Add([]byte(`{"format":"x","extra":1}`))
	f.Add([]byte(`{}{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := ParseTicket(data)
		if err != nil {
			return
		}
		if !lowerhex.Valid(tk.SubmissionID, 32) || !lowerhex.Valid(tk.Verifier, 64) || tk.Format != TicketFormat {
			t.Fatalf("accepted a bad ticket: %+v", tk)
		}
	})
}
