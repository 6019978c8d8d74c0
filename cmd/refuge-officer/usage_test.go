package main

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"refuge/crypto/bundle"
)

// exampleLines returns the command lines of the example at the end of the
// usage text, each joined with its continuation lines and without its "$ ".
func exampleLines(t *testing.T) []string {
	t.Helper()
	_, ex, ok := strings.Cut(usage, "\nExample (one officer, fresh machine):\n")
	if !ok {
		t.Fatal("the usage text has no example")
	}
	var lines []string
	for _, l := range strings.Split(ex, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "$ "):
			lines = append(lines, strings.TrimPrefix(l, "$ "))
		case len(lines) > 0 && strings.HasSuffix(lines[len(lines)-1], `\`):
			lines[len(lines)-1] = strings.TrimSuffix(lines[len(lines)-1], `\`) + l
		default:
			t.Fatalf("the example has a line that is not a command: %q", l)
		}
	}
	return lines
}

// TestUsageExample runs the example of refuge-officer --help, line by line
// in bash in an empty folder, as an officer on a fresh machine would paste
// it: each must work after the ones before it. Only what a person brings
// is added: the passphrase (--passphrase-file, where the example leaves
// it to the terminal), a bundle sealed to the new key in usb/ before open,
// the submission id for its placeholder, and an expiry ahead of today.
func TestUsageExample(t *testing.T) {
	lines := exampleLines(t)
	if len(lines) < 5 {
		t.Fatalf("the example has %d command lines", len(lines))
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "pass"), []byte("not a real passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	expires := regexp.MustCompile(`--expires \S+`)
	later := "--expires " + time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	var id string
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, "refuge-officer open "):
			id = sealInto(t, work)
		case strings.Contains(line, "<submission id>"):
			if id == "" {
				t.Fatalf("%q comes before open", line)
			}
			line = strings.ReplaceAll(line, "<submission id>", id)
		}
		line = expires.ReplaceAllString(line, later)
		for _, cmd := range []string{"keygen", "rootkey", "ackkey", "manifest sign", "open", "reply"} {
			if strings.HasPrefix(line, "refuge-officer "+cmd+" ") {
				line = strings.Replace(line, cmd, cmd+" --passphrase-file pass", 1)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		sh := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", line)
		sh.Dir = work
		out, err := sh.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("the example's line failed: %v\n$ %s\n%s", err, line, out)
		}
	}
	if id == "" {
		t.Fatal("the example opens no bundle")
	}
	for _, name := range []string{"inbox/" + id + "/report.txt", "outbox/acks/" + id + ".json", "outbox/acks/" + id + ".json.minisig"} {
		if _, err := os.Stat(filepath.Join(work, name)); err != nil {
			t.Error(err)
		}
	}
	if replies, _ := filepath.Glob(filepath.Join(work, "outbox", "replies", id, "reply-*.age")); len(replies) != 1 {
		t.Errorf("the outbox holds %d replies, want 1", len(replies))
	}
}

// sealInto seals a bundle to the recipient in work/officer.pub as
// work/usb/<submission id>.age, as a courier's pull names it, and returns
// the id.
func sealInto(t *testing.T, work string) string {
	t.Helper()
	pub, err := os.ReadFile(filepath.Join(work, "officer.pub"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.ParseHybridRecipient(strings.TrimSpace(string(pub)))
	if err != nil {
		t.Fatal(err)
	}
	reply, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString([]byte("usage example id"))
	note := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(note, []byte("evidence"), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := bundle.CollectFiles([]string{note})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(work, "usb"), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(work, "usb", id+".age"))
	if err != nil {
		t.Fatal(err)
	}
	c := bundle.Contents{SubmissionID: id, Kind: bundle.KindAnonymous, Files: files, ReplyRecipient: reply.Recipient().String()}
	_, err = bundle.Seal(f, []age.Recipient{r}, c)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}
