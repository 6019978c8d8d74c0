package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"refuge/crypto/ack"
	"refuge/crypto/bundle"
	"refuge/crypto/signing"
	"refuge/internal/uploaders"
)

// reportFor writes OUTDIR/<id>/report.txt as open writes it, for a bundle
// of the given bytes, and returns the report.
func reportFor(t *testing.T, out, id string, data []byte, res *bundle.Result) *report {
	t.Helper()
	r := newReportFor(t, out, id, data, res)
	if _, err := writeReport(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// quickReportFor writes the same report without writeReport's fsyncs, for
// folders of many.
func quickReportFor(t *testing.T, out, id string, data []byte) {
	t.Helper()
	r := newReportFor(t, out, id, data, nil)
	if err := os.WriteFile(filepath.Join(r.res.Dir, reportName), []byte(r.text()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newReportFor(t *testing.T, out, id string, data []byte, res *bundle.Result) *report {
	t.Helper()
	if res == nil {
		res = &bundle.Result{Kind: "anonymous"}
	}
	res.Dir, res.SubmissionID = filepath.Join(out, id), id
	res.CiphertextSHA256, res.CiphertextSize = sha256.Sum256(data), int64(len(data))
	if err := os.MkdirAll(res.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return newReport("bundle.age", res, nil)
}

func writeBundle(t *testing.T, name string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestOpenedIndex: a bundle whose SHA-256 a report in OUTDIR records is
// known as opened whatever its file name, and its record says where; a
// changed byte is not; a bundle of a size no report records is not even
// read, however many reports there are; a report in a folder not named
// after its id is left out.
func TestOpenedIndex(t *testing.T) {
	out, in := t.TempDir(), t.TempDir()
	data := []byte("age-encryption.org/v1\n-> the rest of a bundle\n")
	id := "0123456789abcdef0123456789abcdef"
	carried := writeBundle(t, filepath.Join(in, "dossier.age"), data)

	if _, ok := loadOpened(out).find(context.Background(), carried); ok {
		t.Fatal("found in an empty OUTDIR")
	}
	// Many other submissions, none of this bundle's size.
	for i := range 500 {
		other := []byte(strings.Repeat("x", 100+i))
		quickReportFor(t, out, fmt.Sprintf("%032x", i+1), other)
	}
	reportFor(t, out, id, data, nil)

	x := loadOpened(out)
	if len(x.bySum) != 501 {
		t.Fatalf("%d records, want 501", len(x.bySum))
	}
	for _, name := range []string{carried, writeBundle(t, filepath.Join(in, id+".age"), data)} {
		rec, ok := x.find(context.Background(), name)
		if !ok || rec.id != id || rec.dir != filepath.Join(out, id) || rec.flagged || rec.size != int64(len(data)) {
			t.Fatalf("%s: found %v, record %+v", name, ok, rec)
		}
	}
	if x.hashed != 2 {
		t.Fatalf("hashed %d bundles, want 2", x.hashed)
	}
	// A size no report records: not read at all.
	if _, ok := x.find(context.Background(), writeBundle(t, filepath.Join(in, "new.age"), append(data, 'x'))); ok || x.hashed != 2 {
		t.Fatalf("a new bundle: found %v, hashed %d (want not found, not hashed)", ok, x.hashed)
	}
	// Same size, one byte changed: hashed, not found.
	changed := append([]byte(nil), data...)
	changed[len(changed)-2] ^= 1
	if _, ok := x.find(context.Background(), writeBundle(t, filepath.Join(in, "changed.age"), changed)); ok || x.hashed != 3 {
		t.Fatalf("a changed bundle: found %v, hashed %d", ok, x.hashed)
	}
	// A named pipe is neither opened nor read (open reads it, once).
	fifo := filepath.Join(in, "pipe.age")
	mkfifo(t, fifo)
	if _, ok := x.find(context.Background(), fifo); ok || x.hashed != 3 {
		t.Fatalf("a named pipe: found %v, hashed %d", ok, x.hashed)
	}
	// A report moved into a folder named after another id is left out.
	moved := filepath.Join(out, "ffffffffffffffffffffffffffffffff")
	if err := os.Rename(filepath.Join(out, id), moved); err != nil {
		t.Fatal(err)
	}
	if _, ok := loadOpened(out).find(context.Background(), carried); ok {
		t.Fatal("found through a report in a folder of another id")
	}
}

// TestReportRecord: what readReportRecord takes from a report written by
// open (id, SHA-256, size, flagged, an unchecked partner signature), the
// same as recordOf takes from the report in memory.
func TestReportRecord(t *testing.T) {
	out := t.TempDir()
	data := []byte("age-encryption.org/v1\n")
	for _, c := range []struct {
		desc               string
		res                *bundle.Result
		flagged, unchecked bool
	}{
		{"anonymous", &bundle.Result{Kind: "anonymous"}, false, false},
		{"partner, no manifest to check it", &bundle.Result{Kind: "referral", Partner: "NGO", Signature: []byte("sig")}, false, true},
		{"partner, not signed", &bundle.Result{Kind: "referral", Partner: "NGO"}, true, false},
		{"partner named " + uncheckedSender, &bundle.Result{Kind: "referral", Partner: "x\n" + uncheckedSender}, true, true},
	} {
		t.Run(c.desc, func(t *testing.T) {
			id := fmt.Sprintf("%x", sha256.Sum256([]byte(c.desc)))[:32]
			r := reportFor(t, out, id, data, c.res)
			rec, ok := readReportRecord(filepath.Join(out, id))
			sum := sha256.Sum256(data)
			want := openedRecord{dir: filepath.Join(out, id), id: id, sum: hex.EncodeToString(sum[:]), size: int64(len(data)), flagged: c.flagged, unchecked: c.unchecked}
			if !ok || rec != want || recordOf(r) != want {
				t.Fatalf("read %+v (ok %v), from memory %+v, want %+v", rec, ok, recordOf(r), want)
			}
		})
	}
}

// TestAckOpened: a bundle opened before gets, from its record, the
// acknowledgement of its id and ciphertext hash; not when it names a
// partner whose signature was never checked and a key manifest is given
// now to check it, nor when it is flagged.
func TestAckOpened(t *testing.T) {
	key, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	defer key.Destroy()
	sum := sha256.Sum256([]byte("a bundle"))
	rec := openedRecord{id: "0123456789abcdef0123456789abcdef", sum: hex.EncodeToString(sum[:]), unchecked: true}
	for _, c := range []struct {
		desc              string
		flagged, checking bool
		want              string
	}{
		{"flagged", true, false, "NOT written because the bundle is flagged"},
		{"partner unchecked, manifest given now", false, true, "NOT written: its partner signature was not checked"},
	} {
		outbox := t.TempDir()
		line, err := ackOpened("b.age", rec, c.flagged, key, outbox, c.checking)
		if !strings.HasPrefix(line, c.want) {
			t.Fatalf("%s: %q", c.desc, line)
		}
		if c.checking && (err == nil || !strings.Contains(err.Error(), "b.age: opened before, but not acknowledged")) {
			t.Fatalf("%s: error %v", c.desc, err)
		}
		if _, err := os.Stat(filepath.Join(outbox, "acks")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s: the outbox has acks/ (%v)", c.desc, err)
		}
	}
	// No manifest given now, as when it was opened: acknowledged.
	outbox := t.TempDir()
	line, cerr := ackOpened("b.age", rec, false, key, outbox, false)
	if cerr != nil || !strings.HasPrefix(line, "written to ") {
		t.Fatalf("%q, %v", line, cerr)
	}
	name := filepath.Join(outbox, "acks", rec.id+".json")
	stmt, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(name + ".minisig")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ack.Verify(key.Public(), stmt, sig)
	if err != nil || s.SubmissionID != rec.id || s.SHA256 != sum {
		t.Fatalf("acknowledgement %+v, %v", s, err)
	}
}

// TestReportSumsMismatchPrintable: the courier's SHA256SUMS travels on the
// same medium as the bundles, so whoever can change one can change the
// other. A line that lists the bundle with another "hash" put that hash
// into report.txt as it was, escape sequences included; now it is made
// printable and cut, as everything else from outside in the report.
func TestReportSumsMismatchPrintable(t *testing.T) {
	out, inbox := t.TempDir(), t.TempDir()
	data := []byte("age-encryption.org/v1\n")
	id := strings.Repeat("ab", 16)
	source := writeBundle(t, filepath.Join(inbox, id+".age"), data)
	evil := "\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J" + strings.Repeat("f", 200)
	if err := os.WriteFile(filepath.Join(inbox, "SHA256SUMS"), []byte(evil+"  "+id+".age\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := &bundle.Result{Kind: "anonymous", Dir: filepath.Join(out, id), SubmissionID: id, CiphertextSHA256: sha256.Sum256(data), CiphertextSize: int64(len(data))}
	if err := os.MkdirAll(res.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	r := newReport(source, res, nil)
	text := r.text()
	if len(r.flags) == 0 || !strings.Contains(text, "MISMATCH with the courier's SHA256SUMS") {
		t.Fatalf("a SHA256SUMS that lists another hash is not flagged:\n%s", text)
	}
	if strings.ContainsAny(text, "\x1b\x07") {
		t.Fatalf("an escape sequence from SHA256SUMS reached the report:\n%q", text)
	}
	if strings.Contains(text, strings.Repeat("f", 100)) {
		t.Fatal("a 200-character hash from SHA256SUMS reached the report whole")
	}
}

// FuzzReportRecord writes the report of a bundle whose file name (on the
// courier's medium, any bytes a file name can hold), SHA256SUMS and
// UPLOADERS beside it, partner name, note and referral form are fuzzed,
// and reads its record back as a later open does: nothing from outside
// may forge or hide a line of the record, so what is read is what was
// recorded.
func FuzzReportRecord(f *testing.F) {
	id := strings.Repeat("ab", 16)
	f.Add(id+".age", "", "", "", "", false, "", "")
	f.Add("x.age", strings.Repeat("0", 64)+"  x.age\n", "NGO", "a note", `{"defender_name":"A"}`, true, "", "")
	f.Add("b\nsubmission id "+strings.Repeat("cd", 16)+"\nFiles:", "\x1b[2J  b\n", "x\nsender "+uncheckedSender, "\nFiles: 0\n", `{"a":"\nciphertext 1 bytes, SHA-256 00"}`, false, "", "")
	// A hash as long as a SHA256SUMS line can hold made a report line too
	// long to read back, which hid the sender line after it.
	f.Add("c.age", strings.Repeat("f", 65500)+"  c.age\n", "NGO", "", "", true, "", "")
	// The server's record disagreeing with the signature: a notice.
	f.Add(id+".age", "", "fld", "", "", true, uploaders.Referral, "other")
	f.Add(id+".age", "", "fld", "", "", false, uploaders.Referral, "fld")
	f.Add(id+".age", "", "fld", "", "", true, uploaders.Anonymous, "")
	f.Add(id+".age", "", "fld", "", "", true, uploaders.Relay, "NOTICE: x")
	f.Fuzz(func(t *testing.T, name, sums, partner, note, referral string, signed bool, upKind, upPartner string) {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255 || name == "SHA256SUMS" {
			return
		}
		dir := t.TempDir()
		out, inbox := filepath.Join(dir, "out"), filepath.Join(dir, "inbox")
		if err := os.Mkdir(inbox, 0o700); err != nil {
			t.Fatal(err)
		}
		data := []byte("age-encryption.org/v1\n")
		source := filepath.Join(inbox, name)
		if os.WriteFile(source, data, 0o600) != nil {
			return // a name this file system refuses
		}
		if err := os.WriteFile(filepath.Join(inbox, "SHA256SUMS"), []byte(sums), 0o600); err != nil {
			t.Fatal(err)
		}
		if list, err := uploaders.Format([]uploaders.Entry{{ID: id, Kind: upKind, Partner: upPartner}}); err == nil {
			if err := os.WriteFile(filepath.Join(inbox, uploaders.FileName), list, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		res := &bundle.Result{Kind: "referral", Created: "2026-11-30", Partner: partner, Dir: filepath.Join(out, id), SubmissionID: id,
			CiphertextSHA256: sha256.Sum256(data), CiphertextSize: int64(len(data)),
			Entries: []bundle.Entry{{Name: "files/" + name, Size: 1, SHA256: strings.Repeat("0", 64)}}}
		if signed {
			res.Signature = []byte("signature")
		}
		if err := os.MkdirAll(res.Dir, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(res.Dir, "note.txt"), []byte(note), 0o600)
		os.WriteFile(filepath.Join(res.Dir, "referral.json"), []byte(referral), 0o600)
		r := newReport(source, res, nil)
		if err := os.WriteFile(filepath.Join(res.Dir, reportName), []byte(r.text()), 0o600); err != nil {
			t.Fatal(err)
		}
		rec, ok := readReportRecord(res.Dir)
		if want := recordOf(r); !ok || rec != want {
			t.Fatalf("read %+v (ok %v), recorded %+v", rec, ok, want)
		}
	})
}

// TestUpdateReportAck: a later acknowledgement changes the acknowledgement
// line of report.txt and no other byte, and the record read back says it
// is acknowledged; a report.txt that is a symbolic link, or has no such
// line, is left as it was, and so is what a link points to.
func TestUpdateReportAck(t *testing.T) {
	out, elsewhere := t.TempDir(), t.TempDir()
	id := strings.Repeat("cd", 16)
	r := newReportFor(t, out, id, []byte("age-encryption.org/v1\n"), &bundle.Result{Kind: "anonymous",
		Entries: []bundle.Entry{{Name: "files/acknowledgement written to x", Size: 1, SHA256: strings.Repeat("0", 64)}}})
	r.ackLine = "not written (no --ack-key given)"
	if err := os.WriteFile(filepath.Join(r.res.Dir, "note.txt"), []byte("acknowledgement written to nowhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path, err := writeReport(r)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if rec, _ := readReportRecord(r.res.Dir); rec.acked {
		t.Fatal("a report that says no acknowledgement was written is read as acknowledged")
	}

	line := "written to outbox/acks/" + id + ".json (the server deletes the ciphertext when the courier pushes it)"
	if err := updateReportAck(r.res.Dir, line); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	want := strings.Replace(string(before), "acknowledgement  not written (no --ack-key given)\n",
		"acknowledgement  "+line+", by a later open; when the bundle was opened: not written (no --ack-key given)\n", 1)
	if string(after) != want {
		t.Fatalf("updated report:\n%s\nwant:\n%s", after, want)
	}
	if rec, ok := readReportRecord(r.res.Dir); !ok || !rec.acked || rec.id != id {
		t.Fatalf("record after the update: %+v (ok %v)", rec, ok)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("report.txt after the update: %v, %v", fi.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(r.res.Dir, ".refuge-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}

	// report.txt a symbolic link to a file elsewhere: neither changes.
	target := filepath.Join(elsewhere, reportName)
	if err := os.WriteFile(target, before, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if err := updateReportAck(r.res.Dir, line); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("through a link: %v", err)
	}
	if got, _ := os.ReadFile(target); string(got) != string(before) {
		t.Fatal("the file a link points to was changed")
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v, %v", fi.Mode(), err)
	}

	// No acknowledgement line: left as it was.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	odd := strings.Replace(string(before), "acknowledgement  ", "ack ", 1)
	if err := os.WriteFile(path, []byte(odd), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := updateReportAck(r.res.Dir, line); !errors.Is(err, errNoAckLine) {
		t.Fatalf("no acknowledgement line: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != odd {
		t.Fatal("a report with no acknowledgement line was changed")
	}
	if left, _ := filepath.Glob(filepath.Join(r.res.Dir, ".refuge-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
