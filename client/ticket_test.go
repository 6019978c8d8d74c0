package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"refuge/internal/lowerhex"
	"refuge/internal/noreplace"
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

// TestWriteTicketKeepsExisting: a ticket already there (another bundle's
// of the same name, or the defender's own) is not replaced, and the error
// says so (noreplace.ErrExists).
func TestWriteTicketKeepsExisting(t *testing.T) {
	b := filepath.Join(t.TempDir(), "bundle.age")
	if err := os.WriteFile(TicketPath(b), []byte("the ticket already there\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var v [32]byte
	if err := WriteTicket(b, "0123456789abcdef0123456789abcdef", v); !errors.Is(err, noreplace.ErrExists) {
		t.Fatalf("writing over a ticket: %v, want an error that wraps noreplace.ErrExists", err)
	}
	if got, _ := os.ReadFile(TicketPath(b)); string(got) != "the ticket already there\n" {
		t.Fatalf("the ticket already there now holds %q", got)
	}
	onlyFiles(t, filepath.Dir(b), "bundle.age.ticket")
}

// TestWriteTicketShortWrite: when the file system takes only part of the
// ticket (for real: the writing process runs under prlimit --fsize=64, so
// its files may not grow past 64 bytes, and a ticket is some 150), the
// write fails and nothing is left: no ticket at its name, no temporary
// file. Before, WriteTicket wrote into the ticket's own name, so a full
// disk or a kill in the middle left a partial ticket there, which relay
// then refused as damaged and seal as already there.
func TestWriteTicketShortWrite(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is needed: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(prlimit, "--fsize=64", os.Args[0], "-test.run=^TestWriteTicketShortWriteChild$")
	cmd.Env = append(os.Environ(), "CLIENT_TICKET_SHORT_WRITE_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "write error: ") || !strings.Contains(string(out), "file too large") {
		t.Fatalf("the child did not see the short write fail:\n%s", out)
	}
	onlyFiles(t, dir)
	if _, err := ReadTicket(filepath.Join(dir, "bundle.age")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading the ticket after the failed write: %v, want no ticket", err)
	}
}

// TestWriteTicketShortWriteChild is the process of TestWriteTicketShortWrite.
func TestWriteTicketShortWriteChild(t *testing.T) {
	dir := os.Getenv("CLIENT_TICKET_SHORT_WRITE_DIR")
	if dir == "" {
		return // run only as TestWriteTicketShortWrite's child
	}
	var v [32]byte
	err := WriteTicket(filepath.Join(dir, "bundle.age"), "0123456789abcdef0123456789abcdef", v)
	if err == nil {
		t.Fatal("a ticket past the file size limit was written")
	}
	fmt.Printf("write error: %v\n", err)
}

// TestTicketStalePartial: a temporary file that a killed write left beside
// the bundle (.refuge-partial-…, half a ticket) is not the ticket:
// ReadTicket finds no ticket, WriteTicket writes the whole one beside it,
// which ReadTicket then reads, and the stale file is left as it was.
func TestTicketStalePartial(t *testing.T) {
	dir := t.TempDir()
	b := filepath.Join(dir, "bundle.age")
	stale := filepath.Join(dir, noreplace.PartialPrefix+"0123456789abcdef")
	half := `{"format":"refuge-ticket-v1","submission_id":"ffffffffffff`
	if err := os.WriteFile(stale, []byte(half), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTicket(b); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading the ticket beside a stale partial one: %v, want no ticket", err)
	}
	var v [32]byte
	v[0] = 0xcd
	if err := WriteTicket(b, "0123456789abcdef0123456789abcdef", v); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTicket(b)
	if err != nil || got.SubmissionID != "0123456789abcdef0123456789abcdef" || got.Verifier[:2] != "cd" {
		t.Fatalf("the ticket written beside a stale partial one: %+v %v", got, err)
	}
	if data, _ := os.ReadFile(stale); string(data) != half {
		t.Fatalf("the stale partial file now holds %q", data)
	}
	onlyFiles(t, dir, "bundle.age.ticket", filepath.Base(stale))
}

// onlyFiles fails unless dir holds exactly the files named.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Fatalf("%s holds %q, want %q", dir, got, names)
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
		{"null", "null"},
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
