package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestReleaseBuildKeepsFullCost builds refuge-officer as a release binary
// and checks that its officer keys use age's default scrypt work factor
// (18): the test knob that the other tests turn must be out of reach of a
// binary not built by "go test".
func TestReleaseBuildKeepsFullCost(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "refuge-officer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("not a real passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "officer.key")
	cmd := exec.Command(bin, "keygen", "-o", key, "--passphrase-file", pass)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	data, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	hdr, _, _ := bytes.Cut(data, []byte("\n---"))
	m := regexp.MustCompile(`(?m)^-> scrypt \S+ (\d+)$`).FindSubmatch(hdr)
	if m == nil {
		t.Fatalf("no scrypt stanza in the key file header:\n%s", hdr)
	}
	if got := string(m[1]); got != "18" {
		t.Errorf("release build wrote scrypt work factor %s, want 18", got)
	}
}
