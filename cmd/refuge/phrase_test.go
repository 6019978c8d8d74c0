package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// A published BIP39 test vector, not anyone's phrase.
const testPhrase = "ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic"

// numbered writes a phrase as people copy it from a numbered list.
func numbered(phrase string) string {
	var b strings.Builder
	for i, w := range strings.Fields(phrase) {
		fmt.Fprintf(&b, "%d. %s, ", i+1, w)
	}
	return strings.TrimSuffix(b.String(), ", ")
}

// holdsPhrase reports whether text holds two words of phrase in a row, as
// an echo or a leak of it would. One word alone proves nothing for a
// random phrase: a list word is often part of an ordinary word ("office"
// of "officers") or a word of the output itself ("day" in "UTC day"), and
// a three-letter word and a space turn up in megabytes of ciphertext.
func holdsPhrase(text, phrase string) bool {
	w := strings.Fields(phrase)
	for i := 0; i+1 < len(w); i++ {
		if strings.Contains(text, w[i]+" "+w[i+1]) {
			return true
		}
	}
	return false
}

// holdsPhraseWord reports whether out holds a word of phrase (as a word).
func holdsPhraseWord(out, phrase string) string {
	for _, w := range strings.Fields(phrase) {
		if regexp.MustCompile(`(?i)\b` + w + `\b`).MatchString(out) {
			return w
		}
	}
	return ""
}

// TestPhraseMistakes types receipt phrases with the mistakes people make
// (on stdin, not a terminal): each is explained in plain words with a
// hint, exits 1 before anything is sent, and no output holds a word of the
// phrase, nor the mistyped word.
func TestPhraseMistakes(t *testing.T) {
	t.Parallel()
	u := newUser(t)
	w := strings.Fields(testPhrase)
	swapped := strings.Join(append([]string{w[1], w[0]}, w[2:]...), " ")
	tests := []struct {
		desc, in, want, hint string
	}{
		{"two words swapped", swapped, "do not fit together",
			"a word may be wrong, misspelt into another list word, or two words swapped: check it against where you wrote it down"},
		{"numbered, two words swapped", numbered(swapped), "do not fit together", "two words swapped"},
		{"a misspelt word", strings.Replace(testPhrase, "pudding", "puding", 1),
			"word 7 of your receipt phrase is not one of the receipt words", "check word 7 against where you wrote it down"},
		{"a word left out", strings.Replace(testPhrase, "grab ", "", 1), "a receipt phrase has 12 words; 11 were given", "on one line"},
		{"numbered, a word left out", strings.Replace(numbered(testPhrase), "3. grab, ", "", 1),
			"word 3's number is not 3", "a word may be missing or written twice"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := u.run(tt.in+"\n", "status", "--server", "https://127.0.0.1:1")
			out := r.stdout + r.stderr
			if r.code != 1 || !strings.Contains(r.stderr, "error: ") || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "hint: ") || !strings.Contains(r.stderr, tt.hint) {
				t.Fatalf("exit %d, want 1 with %q and the hint %q:\n%s", r.code, tt.want, tt.hint, out)
			}
			if w := holdsPhraseWord(out, testPhrase+" puding"); w != "" {
				t.Fatalf("the output holds %q:\n%s", w, out)
			}
			for _, jargon := range []string{"checksum", "wordlist", "found"} {
				if strings.Contains(out, jargon) {
					t.Fatalf("the output says %q:\n%s", jargon, out)
				}
			}
		})
	}
}

// TestPhrasePunctuated reads the status with the phrase copied from a
// numbered list with commas: it is the same phrase.
func TestPhrasePunctuated(t *testing.T) {
	t.Parallel()
	_, u, phrase := submitted(t, "a.txt", 100)
	for _, in := range []string{numbered(phrase), strings.ToUpper(strings.ReplaceAll(phrase, " ", ", ")) + "."} {
		if r := u.ok(in+"\n", "status"); !strings.Contains(r.stdout, "status: received") {
			t.Fatalf("status: %s%s", r.stdout, r.stderr)
		}
	}
}

// TestPhraseUnknownWordAtTerminal types a phrase with a misspelt word at a
// real terminal (script(1)): the message names the word's position, and
// neither that word as typed, nor the list words near it, nor any other
// word of the phrase (it was read without echo so that no one looking at
// the screen sees it).
func TestPhraseUnknownWordAtTerminal(t *testing.T) {
	t.Parallel()
	u := newUser(t)
	prompt, msg, cmd := statusAtTerminal(t, u, "--server https://127.0.0.1:1", strings.Replace(testPhrase, "pudding", "puding", 1))
	cmd.Wait()
	if !strings.Contains(msg, "word 7 of your receipt phrase is not one of the receipt words") {
		t.Fatalf("the word's position is not named at a terminal:\n%s", prompt+msg)
	}
	if strings.Contains(msg, "puding") {
		t.Fatalf("the output after the prompt shows the word as typed:\n%s", msg)
	}
	if w := holdsPhraseWord(msg, testPhrase); w != "" {
		t.Fatalf("the output after the prompt holds %q:\n%s", w, msg)
	}
}

// TestPhraseOnLines reads the status and the replies with the phrase piped
// as people write it down: one word per line, numbered, with Windows line
// ends, a byte-order mark and blank lines around it. Standard input is
// read to its end, so each is the same phrase.
func TestPhraseOnLines(t *testing.T) {
	t.Parallel()
	_, u, phrase := submitted(t, "a.txt", 100)
	words := strings.Fields(phrase)
	var numbered strings.Builder
	for i, w := range words {
		fmt.Fprintf(&numbered, "%d. %s\n", i+1, w)
	}
	for _, in := range []string{
		strings.Join(words, "\n") + "\n",
		numbered.String(),
		"\xef\xbb\xbf\r\n" + strings.Join(words[:6], " ") + "\r\n" + strings.Join(words[6:], " ") + "\r\n\r\n",
		"\n\n" + strings.Join(words, "\n\n") + strings.Repeat(" ", 3000),
		phrase + "\nwritten down on the day it was sent; keep it apart from the files\n",
	} {
		if r := u.ok(in, "status"); !strings.Contains(r.stdout, "status: received") {
			t.Fatalf("status with %q: %s%s", strings.ReplaceAll(in, phrase, "PHRASE"), r.stdout, r.stderr)
		}
	}
	if r := u.ok(strings.Join(words, "\n"), "replies"); !strings.Contains(r.stderr, "no reply yet") {
		t.Fatalf("replies: %s%s", r.stdout, r.stderr)
	}
}

// TestPhraseStdinHostile pipes what is not a phrase: each gets exit 1, a
// message a person understands and a hint, and no output holds a word of
// the phrase. Standard input is read only up to a small bound.
func TestPhraseStdinHostile(t *testing.T) {
	t.Parallel()
	u := newUser(t)
	w := strings.Fields(testPhrase)
	utf16 := []byte{0xff, 0xfe}
	for _, c := range testPhrase + "\n" {
		utf16 = append(utf16, byte(c), 0)
	}
	tests := []struct {
		desc, in, want, hint string
	}{
		{"empty", "", "no receipt phrase given", "pipe it on standard input"},
		{"blank lines", "\n \r\n\t\n", "no receipt phrase given", "pipe it on standard input"},
		{"huge", strings.Repeat(testPhrase+"\n", 100000), "standard input holds more than 4096 bytes: a receipt phrase is 12 words",
			"pipe only the phrase"},
		{"one byte past the bound", testPhrase + strings.Repeat("\n", 4097-len(testPhrase)), "standard input holds more than 4096 bytes",
			"pipe only the phrase"},
		{"NUL bytes", strings.Replace(testPhrase, " ", "\x00", 3), "standard input holds binary data (NUL bytes), not a receipt phrase",
			"a text file holding only the 12 words"},
		{"UTF-16", string(utf16), "standard input holds binary data (NUL bytes)", `saved as UTF-16 ("Unicode" in some editors) must be saved again as UTF-8`},
		{"a very long line", strings.Repeat(w[0], 500), "that is far longer than a receipt phrase", "only the 12 words"},
		{"13 words on lines", strings.Join(append(w, w[0]), "\n"), "a receipt phrase has 12 words; 13 were given",
			"on one line or one per line"},
		{"11 words on lines", strings.Join(w[:11], "\n"), "a receipt phrase has 12 words; 11 were given",
			"on one line or one per line"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := u.run(tt.in, "status", "--server", "https://127.0.0.1:1")
			out := r.stdout + r.stderr
			if r.code != 1 || !strings.Contains(r.stderr, "error: "+tt.want) || !strings.Contains(r.stderr, "hint: ") || !strings.Contains(r.stderr, tt.hint) {
				t.Fatalf("exit %d, want 1 with %q and the hint %q:\n%s", r.code, tt.want, tt.hint, out)
			}
			if w := holdsPhraseWord(out, testPhrase); w != "" {
				t.Fatalf("the output holds %q:\n%s", w, out)
			}
			if len(out) > 1000 {
				t.Fatalf("%d bytes of output:\n%.1000s", len(out), out)
			}
		})
	}
}
