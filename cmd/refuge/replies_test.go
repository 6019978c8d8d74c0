package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"filippo.io/age"

	"refuge/crypto/bundle"
	"refuge/crypto/receipt"
	"refuge/server/api"
)

// hostileText is a reply message that would drive a terminal printed as
// it is: it clears the screen, sets the window title and the clipboard
// (OSC, ended by BEL and by ST), colours with a C1 CSI, writes a forged
// line over a real one with a carriage return, and hides a file's real
// extension behind a bidi override and isolates. Tab, line breaks (CRLF
// too) and text in any script must come through.
const hostileText = "Dear client,\n\x1b[2J\x1b[Hthe screen was cleared\n" +
	"\x1b]0;window title\x07\x1b]52;c;cm0gLXJmIH4K\x1b\\\n" +
	"\u009b31mred\u009b0m and \u009d0;title\u009c\n" +
	"refuge: error: your submission was deleted\rreal line\n" +
	"open invoice\u202efdp.exe and \u2067hidden\u2069\n" +
	"column\tkept\r\nمی\u200cخواهم ✓\n"

// hostileShown is hostileText as refuge replies prints it.
const hostileShown = "Dear client,\n\uFFFD[2J\uFFFD[Hthe screen was cleared\n" +
	"\uFFFD]0;window title\uFFFD\uFFFD]52;c;cm0gLXJmIH4K\uFFFD\\\n" +
	"\uFFFD31mred\uFFFD0m and \uFFFD0;title\uFFFD\n" +
	"refuge: error: your submission was deleted\uFFFDreal line\n" +
	"open invoice\uFFFDfdp.exe and \uFFFDhidden\uFFFD\n" +
	"column\tkept\nمی\u200cخواهم ✓\n"

// replyKeys derives the reply keys of a new phrase, as refuge does.
func replyKeys(t *testing.T) (string, *receipt.Keys) {
	t.Helper()
	phrase := newPhrase(t)
	return phrase, derive(t, phrase)
}

// noTerminalControls fails if out holds a byte or character a terminal
// acts on: ESC, a C1 control, a carriage return, a bidi control.
func noTerminalControls(t *testing.T, what, out string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b", "\u009c", "\u009d", "\u202e", "\u2067", "\u2069"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s holds %q:\n%q", what, bad, out)
		}
	}
}

// TestRepliesTerminalSafe: a reply, really encrypted to the receipt
// phrase's reply key (a bundle as refuge-officer reply writes, and a plain
// age file), whose message holds escape sequences, OSC title and
// clipboard sets, C1 controls, a carriage return and bidi overrides.
// refuge replies printed it raw to the defender's terminal; now every
// such character is printed as U+FFFD, tab and line breaks kept, and the
// copy saved with -o is byte for byte the message.
func TestRepliesTerminalSafe(t *testing.T) {
	t.Parallel()
	phrase, keys := replyKeys(t)
	id := strings.Repeat("ab", 16)

	var sealed bytes.Buffer
	if _, err := bundle.Seal(&sealed, []age.Recipient{keys.Recipient()}, bundle.Contents{
		Note: []byte(hostileText), SubmissionID: keys.SubmissionID(), Kind: bundle.KindReply,
	}); err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	w, err := age.Encrypt(&plain, keys.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(hostileText))
	w.Write(make([]byte, 100)) // zero padding, removed
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		desc  string
		body  []byte
		saved string // where -o keeps the message, under reply-<id>
	}{
		{"bundle reply", sealed.Bytes(), filepath.Join(keys.SubmissionID(), "note.txt")},
		{"plain age reply", plain.Bytes(), "message.txt"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			srv := hostileRepliesServer(t, id, tc.body)
			u := newUser(t)
			want := "--- reply 1 of 1 (2026-11-30), NOT CHECKED: may not be from the officers ---\n" +
				"| " + strings.ReplaceAll(strings.TrimSuffix(hostileShown, "\n"), "\n", "\n| ") + "\n" +
				"--- end of reply 1 of 1, NOT CHECKED: may not be from the officers ---\n"
			r := u.ok(phrase+"\n", "replies", "--server", srv.URL)
			if r.stdout != want {
				t.Errorf("printed\n%q\nwant\n%q", r.stdout, want)
			}
			noTerminalControls(t, "stdout", r.stdout)
			noTerminalControls(t, "stderr", r.stderr)

			out := filepath.Join(t.TempDir(), "replies")
			r = u.ok(phrase+"\n", "replies", "--server", srv.URL, "-o", out)
			if r.stdout != want {
				t.Errorf("printed with -o\n%q\nwant\n%q", r.stdout, want)
			}
			got, err := os.ReadFile(filepath.Join(out, "reply-"+id, tc.saved))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != hostileText {
				t.Errorf("saved %q\nwant the message as it came: %q", got, hostileText)
			}
		})
	}
}

// TestRepliesPlainNotText: a plain age reply that is not UTF-8 text (it
// holds escape sequences and invalid UTF-8) is refused, and nothing of it
// reaches the terminal.
func TestRepliesPlainNotText(t *testing.T) {
	t.Parallel()
	phrase, keys := replyKeys(t)
	plain := plainReplyBody(t, keys, "\x1b]0;window title\x07\xff\xfe\x1b[2J")
	srv := hostileRepliesServer(t, strings.Repeat("cd", 16), plain)
	r := newUser(t).run(phrase+"\n", "replies", "--server", srv.URL)
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "reply 1 of 1 is not text and not a bundle") {
		t.Fatalf("a reply that is not text: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	noTerminalControls(t, "stderr", r.stderr)
	if strings.Contains(r.stderr, "window title") {
		t.Errorf("stderr repeats the reply: %q", r.stderr)
	}
}

// TestRepliesRefusesOtherKinds: a bundle that is a submission or a
// referral, not a reply, sealed to the phrase's reply key (by anyone who
// learnt that key), with a file and a message in it, is listed as a reply
// by a hostile server. refuge replies opens only bundles of kind reply
// (bundle.Options.Kinds): the other is refused with a message saying it
// is not an officers' reply, before anything of it is moved into place;
// nothing of it is printed, and -o DIR is left empty.
func TestRepliesRefusesOtherKinds(t *testing.T) {
	t.Parallel()
	phrase, keys := replyKeys(t)
	id := strings.Repeat("ef", 16)
	file := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(file, []byte("not an invoice"), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := bundle.CollectFiles([]string{file})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []bundle.Contents{
		{Kind: bundle.KindAnonymous, SubmissionID: keys.SubmissionID(), Note: []byte("posing as the officers"), Files: files},
		{Kind: bundle.KindReferral, Partner: "partner-a", SubmissionID: keys.SubmissionID(), Note: []byte("posing as the officers"), Files: files},
	} {
		t.Run(c.Kind, func(t *testing.T) {
			var sealed bytes.Buffer
			if _, err := bundle.Seal(&sealed, []age.Recipient{keys.Recipient()}, c); err != nil {
				t.Fatal(err)
			}
			srv := hostileRepliesServer(t, id, sealed.Bytes())
			out := filepath.Join(t.TempDir(), "replies")
			r := newUser(t).run(phrase+"\n", "replies", "--server", srv.URL, "-o", out)
			if r.code != 1 || !strings.Contains(r.stderr, "reply 1 of 1 is not an officers' reply (it is a bundle of another kind)") {
				t.Fatalf("exit %d, want 1 saying it is not an officers' reply\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "posing") {
				t.Fatalf("the bundle's message was shown: %q", r.stdout+r.stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Fatalf("%s holds %d entries after the refusal", out, len(entries))
			}
		})
	}
}

// TestReplyHeaderFits: a reply's header and end lines, which say who wrote
// it, fit on one row of an 80-column terminal for every verdict, up to
// reply 999 of 999: the warning is the line a person must not miss, and a
// wrapped header is harder to read.
func TestReplyHeaderFits(t *testing.T) {
	verdicts := map[string]replyVerdict{
		"signed":      {signed: true, checked: true, signedOn: "2026-12-31"},
		"not signed":  {checked: true, why: "it is not signed"},
		"not checked": {why: "no root key is known on this device"},
	}
	for name, v := range verdicts {
		var out bytes.Buffer
		e := &env{stdout: &out}
		e.printReply(api.Reply{Created: "2026-12-31"}, 999, 999, "x", false, v)
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		for _, l := range []string{lines[0], lines[len(lines)-1]} {
			if !strings.HasPrefix(l, "--- ") || utf8.RuneCountInString(l) > 80 {
				t.Errorf("%s: %q is %d columns, more than 80", name, l, utf8.RuneCountInString(l))
			}
		}
	}
}
