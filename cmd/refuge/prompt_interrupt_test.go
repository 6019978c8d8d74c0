//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
	"refuge/internal/ptytest"
)

// stop is one way a prompt is stopped: Ctrl-C typed at the terminal, or a
// signal sent to the process (kill -INT, kill -TERM), and what refuge then
// says.
type stop struct {
	name string
	do   func(tt *ptytest.Terminal)
	msg  string
}

var stops = []stop{
	// Ctrl-Z and Ctrl-\ first: they must not stop the process, nor dump
	// it, with echo off.
	{"Ctrl-C", func(tt *ptytest.Terminal) { tt.Type("\x1a\x1c\x03") }, "refuge: error: interrupted (Ctrl-C)"},
	{"SIGINT", func(tt *ptytest.Terminal) { tt.Signal(syscall.SIGINT) }, "refuge: error: interrupted (Ctrl-C)"},
	{"SIGTERM", func(tt *ptytest.Terminal) { tt.Signal(syscall.SIGTERM) }, "refuge: error: stopped by SIGTERM"},
}

// halfTyped is the start of a secret typed at a prompt that is then
// interrupted.
const halfTyped = "not a real"

// TestPromptInterrupted stops each prompt that reads without echo (the
// receipt phrase of status and replies, the passphrase of refer and
// partnerkey) while it waits at a real terminal, and checks that the
// terminal has its settings back (echo on), that what was typed is not
// left at the terminal, that the prompt line is ended, and that refuge
// exits 130 saying it was interrupted, having written nothing.
func TestPromptInterrupted(t *testing.T) {
	t.Parallel()
	kdfcost.LowerForTests()
	keyDir := t.TempDir()
	key, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(keyDir, "fld.key")
	if err := key.WriteFile(keyFile, []byte("not a real passphrase")); err != nil {
		t.Fatal(err)
	}
	noServer := []string{"--server", "http://127.0.0.1:9", "--proxy", "direct"}
	prompts := []struct {
		name   string
		args   []string
		prompt string
	}{
		{"status", append([]string{"status"}, noServer...), "receipt phrase (12 words, not shown): "},
		{"replies", append([]string{"replies", "-o", "replies"}, noServer...), "receipt phrase (12 words, not shown): "},
		{"refer", append([]string{"refer", "--token", strings.Repeat("ab", 32), "--partner", "fld", "--partner-key", keyFile,
			"--defender", "d", "--nationality", "X", "--country", "Y", "--work", "w", "--risk", "r",
			"--urgency", "high", "--contact", "c", "--referring-org", "o", "--consent"}, noServer...),
			"Passphrase for the partner key: "},
		{"partnerkey", []string{"partnerkey", "-o", "new.key"}, "Passphrase for the new partner key: "},
	}
	for _, p := range prompts {
		for _, s := range stops {
			t.Run(p.name+"/"+s.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				u := newUser(t)
				cmd := u.command(nil, p.args...)
				cmd.Dir = dir
				tt := ptytest.Open(t)
				// Half a secret typed, before the prompt: once refuge is
				// gone, the shell must not read it (and show it).
				tt.Type(halfTyped)
				tt.WaitFor(halfTyped) // echoed: the terminal holds it
				tt.Start(cmd)
				tt.WaitFor(p.prompt)
				s.do(tt)
				code := tt.Wait()
				restored := tt.Restored()
				pending := tt.Pending()
				out := tt.Output()
				if restored != nil {
					t.Errorf("%v\n%s", restored, out)
				}
				if pending != "" {
					t.Errorf("%q was left at the terminal for the shell to read", pending)
				}
				if code != exitInterrupted {
					t.Errorf("exit code %d, want %d\n%s", code, exitInterrupted, out)
				}
				// The prompt line is ended before the message (the
				// terminal shows \r\n for each \n).
				if want := p.prompt + "\r\n" + s.msg + "\r\n"; !strings.Contains(out, want) {
					t.Errorf("output does not hold %q:\n%q", want, out)
				}
				if left, _ := os.ReadDir(dir); len(left) != 0 {
					t.Errorf("the interrupted command left %v in its folder", left)
				}
			})
		}
	}
}
