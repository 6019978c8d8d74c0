package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDevBannerCommands runs --dev (in process, with the test knob's cheap
// key files) and then every command line that its banner prints, as
// printed, in bash in an empty folder with the real refuge and
// refuge-officer binaries on PATH: the journey that the banner promises
// must work when pasted. Lines that need a person at a terminal are
// printed as comments and are not run.
func TestDevBannerCommands(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "refuge/cmd/refuge", "refuge/cmd/refuge-officer")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv("TMPDIR", t.TempDir())
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- devCmd(ctx, serveFlags{listen: []string{"127.0.0.1:0"}, rate: 1000}, pw, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil)))
		pw.Close()
	}()
	var script []string
	inJourney := false
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Press Ctrl-C") {
			break
		}
		if strings.HasPrefix(line, "Try the whole journey") {
			inJourney = true
		}
		if inJourney && strings.HasPrefix(line, "  ") && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			script = append(script, strings.TrimSpace(line))
		}
	}
	go io.Copy(io.Discard, pr)
	if len(script) < 15 {
		t.Fatalf("the banner prints only %d command lines:\n%s", len(script), strings.Join(script, "\n"))
	}

	work := t.TempDir()
	ctx2, cancel2 := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel2()
	sh := exec.CommandContext(ctx2, "bash", "-euo", "pipefail", "-c", strings.Join(script, "\n"))
	sh.Dir = work
	sh.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+work,
		"NO_PROXY=*", "HTTPS_PROXY=", "HTTP_PROXY=", "ALL_PROXY=")
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the banner's commands failed: %v\n--- script\n%s\n--- output\n%s", err, strings.Join(script, "\n"), out)
	}
	o := string(out)
	for _, want := range []string{
		"pushed 3 replies and 3 acknowledgements",
		"Received. We will contact you.",
		"signed by the officers on ",
		"status: ",
		"event log verified",
		"unauthenticated (anonymous submission)",
		`partner "dev-partner": signature verified`,
		"defender name: A. N. Defender",
	} {
		if !strings.Contains(o, want) {
			t.Errorf("the journey's output lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`(?m) refuge-event-v1 [0-9]+ \S+ deleted [0-9a-f]{32} `).FindAllString(o, -1)); n != 3 {
		t.Errorf("events.log shows %d deletions, want 3", n)
	}
	if t.Failed() {
		t.Logf("output:\n%s", o)
	}
	if _, err := os.Stat(filepath.Join(work, "usb", "inbox", "SHA256SUMS")); err != nil {
		t.Error(err)
	}
	cancel()
	if rc := <-done; rc != 0 {
		t.Fatalf("dev exited %d", rc)
	}
}
