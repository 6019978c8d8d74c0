package client

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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
	f.Add([]byte(`{"format":"refuge-ticket-v1","Submission_ID":"0123456789abcdef0123456789abcdef","verifier":"ab00000000000000000000000000000000000000000000000000000000000000","verifier":"cd00000000000000000000000000000000000000000000000000000000000000"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := ParseTicket(data)
		if err != nil {
			return
		}
		if !lowerhex.Valid(tk.SubmissionID, 32) || !lowerhex.Valid(tk.Verifier, 64) || tk.Format != TicketFormat {
			t.Fatalf("accepted a bad ticket: %+v", tk)
		}
		// A case-sensitive reading that sees every field reads the same.
		var fields map[string]string
		if err := json.Unmarshal(data, &fields); err != nil {
			t.Fatalf("accepted %q: %v", data, err)
		}
		if len(fields) != 3 || fields["format"] != tk.Format || fields["submission_id"] != tk.SubmissionID || fields["verifier"] != tk.Verifier {
			t.Fatalf("accepted %q as %+v", data, tk)
		}
	})
}

// TestReadTicketHostile: the ticket beside a bundle comes from whoever
// handed the bundle over. Hostile ones are refused with an error, and a
// huge one (or one that never ends) is not read into memory whole: before,
// ReadTicket read the whole file and only then refused it as too large.
func TestReadTicketHostile(t *testing.T) {
	dir := t.TempDir()
	good := `{"format":"refuge-ticket-v1","submission_id":"0123456789abcdef0123456789abcdef","verifier":"` + strings.Repeat("ab", 32) + `"}`
	for _, tc := range []struct {
		desc string
		data string
	}{
		{"empty", ""},
		{"NUL", "\x00"},
		{"invalid UTF-8", "\xff\xfe{}"},
		{"trailing data", good + "{}"},
		{"unknown field", strings.Replace(good, `"format"`, `"extra":1,"format"`, 1)},
		// encoding/json takes a name in another letter case (ſ, the long
		// s, folds to s) and keeps the last of a field named twice.
		{"field twice", strings.Replace(good, `}`, `,"submission_id":"0123456789abcdef0123456789abcdef"}`, 1)},
		{"field in upper case", strings.Replace(good, `"verifier"`, `"Verifier"`, 1)},
		{"long s in a field name", strings.Replace(good, `"submission_id"`, `"ſubmission_id"`, 1)},
		{"closing bracket after the object", good + "]"},
		{"upper-case id", strings.Replace(good, "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789abcdef", 1)},
		{"path for an id", strings.Replace(good, "0123456789abcdef0123456789abcdef", "../../../../../../../etc/passwd", 1)},
		{"escape sequence in the format", strings.Replace(good, "refuge-ticket-v1", `refuge-ticket-v1\u001b[2J`, 1)},
		{"deep nesting", strings.Repeat("[", 100000)},
		{"number for an id", strings.Replace(good, `"0123456789abcdef0123456789abcdef"`, "1e999", 1)},
		{"just over 4 KiB", good + strings.Repeat(" ", 4097-len(good))},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b := filepath.Join(dir, strings.ReplaceAll(tc.desc, " ", "-")+".age")
			if err := os.WriteFile(TicketPath(b), []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if tk, err := ReadTicket(b); err == nil {
				t.Fatalf("accepted %+v", tk)
			}
		})
	}

	// 256 MiB (sparse: no disk used), and one that never ends.
	huge := filepath.Join(dir, "huge.age")
	f, err := os.Create(TicketPath(huge))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	endless := filepath.Join(dir, "endless.age")
	if err := os.Symlink("/dev/zero", TicketPath(endless)); err != nil {
		t.Fatal(err)
	}
	// A FIFO would make the open wait for a writer that never comes.
	fifo := filepath.Join(dir, "fifo.age")
	if out, err := exec.Command("mkfifo", TicketPath(fifo)).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	for b, want := range map[string]string{huge: "too large", endless: "not a regular file", fifo: "not a regular file"} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadTicket(b)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v, want %s", filepath.Base(b), err, want)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Fatalf("%s: reading the ticket allocated %d MiB", filepath.Base(b), n>>20)
		}
	}
}
