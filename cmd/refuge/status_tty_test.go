package main

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestStatusPhraseNotEchoed types the phrase at a real terminal (script(1)
// gives refuge a pty) and checks that it is read without echo.
func TestStatusPhraseNotEchoed(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatal("script(1) is needed to give refuge a terminal: apt-get install util-linux")
	}
	_, u, phrase := submitted(t, "a.txt", 100)
	out, rest, cmd := statusAtTerminal(t, u, "", phrase)
	prompted := len(out)
	out += rest
	if err := cmd.Wait(); err != nil {
		t.Fatalf("refuge status at a terminal: %v\n%s", err, out)
	}
	if !strings.Contains(out, "status: received") {
		t.Fatalf("no status:\n%s", out)
	}
	if holdsPhrase(out[prompted:], phrase) {
		t.Fatalf("the phrase was echoed:\n%s", out)
	}
}

// statusAtTerminal runs refuge status (with args) at a terminal that
// script(1) gives it, types phrase once the prompt is there (refuge turns
// echo off right after printing it), as a person would, and returns what
// came before the phrase was typed, what came after, and the finished
// command (to Wait for).
func statusAtTerminal(t *testing.T, u *user, args, phrase string) (before, after string, cmd *exec.Cmd) {
	t.Helper()
	bin, err := exec.LookPath("refuge")
	if err != nil {
		t.Fatal(err)
	}
	cmd = u.command(nil, "status")
	cmd.Path, _ = exec.LookPath("script")
	cmd.Args = []string{"script", "-qec", bin + " status " + args, "/dev/null"}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	buf := make([]byte, 256)
	for !strings.Contains(out.String(), "not shown): ") {
		n, err := stdout.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			t.Fatalf("no prompt: %v\n%s", err, out.String())
		}
	}
	io.WriteString(stdin, phrase+"\n")
	rest, _ := io.ReadAll(stdout)
	return out.String(), string(rest), cmd
}
