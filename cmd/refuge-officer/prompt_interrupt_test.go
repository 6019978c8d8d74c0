//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"refuge/internal/cli"
	"refuge/internal/ptytest"
)

// halfTyped is the start of a passphrase typed at a prompt that is then
// interrupted.
const halfTyped = "not a real"

// TestPromptInterrupted stops the passphrase prompts (a new key's first
// and second, an existing key's) while they wait at a real terminal: by
// Ctrl-C typed there (after Ctrl-Z and Ctrl-\, which must not stop the
// process nor dump it with echo off), by SIGINT or by SIGTERM sent to the
// process. The terminal must have its settings back (echo on) and hold
// nothing of what was typed; the prompt line is ended; refuge-officer
// exits 130 saying it was interrupted, and writes nothing.
func TestPromptInterrupted(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("refuge-officer")
	if err != nil {
		t.Fatal(err)
	}
	keyDir := t.TempDir()
	passFile := filepath.Join(keyDir, "pass")
	if err := os.WriteFile(passFile, []byte("not a real passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(keyDir, "officer.key")
	if out, err := exec.Command(bin, "keygen", "-o", keyFile, "--passphrase-file", passFile).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	bundle := filepath.Join(keyDir, "x.age")
	if err := os.WriteFile(bundle, []byte("not a bundle"), 0o600); err != nil {
		t.Fatal(err)
	}
	prompts := []struct {
		name   string
		args   []string
		typed  string // before the prompt that is stopped: a line, answered
		prompt string
	}{
		{"keygen", []string{"keygen", "-o", "officer.key"}, "", "Passphrase for the new officer key: "},
		{"keygen again", []string{"keygen", "-o", "officer.key"}, "not a real passphrase\n", "Same passphrase again: "},
		{"open", []string{"open", "-i", keyFile, "-o", "inbox", bundle}, "", "Passphrase for the officer key " + keyFile + ": "},
	}
	stops := []struct {
		name string
		do   func(tt *ptytest.Terminal)
		msg  string
	}{
		{"Ctrl-C", func(tt *ptytest.Terminal) { tt.Type("\x1a\x1c\x03") }, "refuge-officer: error: interrupted (Ctrl-C)"},
		{"SIGINT", func(tt *ptytest.Terminal) { tt.Signal(syscall.SIGINT) }, "refuge-officer: error: interrupted (Ctrl-C)"},
		{"SIGTERM", func(tt *ptytest.Terminal) { tt.Signal(syscall.SIGTERM) }, "refuge-officer: error: stopped by SIGTERM"},
	}
	for _, p := range prompts {
		for _, s := range stops {
			t.Run(p.name+"/"+s.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				cmd := exec.Command(bin, p.args...)
				cmd.Dir = dir
				tt := ptytest.Open(t)
				// Typed ahead: the answer to an earlier prompt, then half
				// a passphrase, which the shell must not read (and show)
				// once refuge-officer is gone.
				tt.Type(p.typed + halfTyped)
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
				if code != cli.ExitInterrupted {
					t.Errorf("exit code %d, want %d\n%s", code, cli.ExitInterrupted, out)
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
