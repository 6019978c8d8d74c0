package kdfcost

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestLowerForTests(t *testing.T) {
	if Low() {
		t.Fatal("Low() is true before LowerForTests was called")
	}
	LowerForTests()
	if !Low() {
		t.Fatal("Low() is false after LowerForTests")
	}
	low.Store(false) // leave the process as we found it
}

// TestReleaseBuildCannotLower builds an ordinary program that calls
// LowerForTests and checks that it panics instead of lowering the cost.
func TestReleaseBuildCannotLower(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "release")
	build := exec.Command("go", "build", "-o", bin, "./testdata/release")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err == nil {
		t.Fatalf("LowerForTests did not crash a release program:\n%s", out)
	}
	s := string(out)
	if !strings.Contains(s, "low before: false") || !strings.Contains(s, "LowerForTests called outside a test binary") || strings.Contains(s, "low after") {
		t.Fatalf("unexpected output:\n%s", s)
	}
}
