package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReason checks that a file error loses the "open PATH: " in front of
// its reason, wrapped or not, and that other errors pass through.
func TestReason(t *testing.T) {
	_, err := os.Open(filepath.Join(t.TempDir(), "missing.key"))
	want := err.(*fs.PathError).Err.Error() // "no such file or directory" on Linux
	if got := Reason(err).Error(); got != want || strings.Contains(got, "missing.key") {
		t.Fatalf("%q", got)
	}
	if got := Reason(fmt.Errorf("cannot open key file: %w", err)); !errors.Is(got, fs.ErrNotExist) || got.Error() != want {
		t.Fatalf("wrapped: %q", got)
	}
	other := errors.New("damaged")
	if Reason(other) != other {
		t.Fatal("another error changed")
	}
}
