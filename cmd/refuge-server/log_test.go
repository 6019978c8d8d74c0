package main

import (
	"bytes"
	"regexp"
	"testing"
)

// The operator log must carry no time finer than a day.
func TestLoggerWritesNoTime(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf).Info("refuge-server listening", "addr", "unix:/run/refuge.sock")
	out := buf.String()
	if regexp.MustCompile(`time=|\d{2}:\d{2}:\d{2}`).MatchString(out) {
		t.Fatalf("log line carries a time: %q", out)
	}
	if !bytes.Contains(buf.Bytes(), []byte("refuge-server listening")) {
		t.Fatalf("log line lost its message: %q", out)
	}
}
