package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestReleaseBuildHasNoTestKnob builds refuge as a release is built
// (CGO_ENABLED=0, -trimpath: the .ci/gates repro gate's build) and checks
// that the only environment variables of refuge's own it can read are the
// documented ones: a hidden variable that changes a shipped binary's
// behaviour is a test hook in production. The binary used to read
// REFUGE_TEST_FAST_RETRY=1, which cut the retry back-off to milliseconds;
// that knob is now in main_test.go alone. A new variable must be
// documented and added here.
func TestReleaseBuildHasNoTestKnob(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "refuge")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	documented := []string{"REFUGE_STATE_DIR", "REFUGE_TOKEN"}
	var found []string
	for _, m := range regexp.MustCompile(`REFUGE_[A-Z0-9_]+`).FindAll(data, -1) {
		if name := string(m); !slices.Contains(found, name) {
			found = append(found, name)
		}
	}
	slices.Sort(found)
	for _, name := range found {
		if !slices.Contains(documented, name) {
			t.Errorf("the release binary holds %s, a variable refuge does not document (a test knob?)", name)
		}
	}
	if !slices.Contains(found, "REFUGE_STATE_DIR") {
		t.Errorf("the release binary does not hold REFUGE_STATE_DIR, which it reads: is this check still looking at the right bytes? found %q", found)
	}
}
