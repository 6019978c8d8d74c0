package client

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoMemguard: package client, which holds no secret, does not link
// memguard (which locks memory, and is set up only by commands that hold
// secrets). It writes tickets through internal/noreplace, not
// crypto/secrets. The same listing of crypto/secrets does show memguard,
// so the check can fail.
func TestNoMemguard(t *testing.T) {
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		return strings.Fields(string(out))
	}
	const memguard = "github.com/awnumar/memguard"
	if d := deps("refuge/crypto/secrets"); !slices.Contains(d, memguard) {
		t.Fatalf("crypto/secrets does not list %s among its %d dependencies; the check would prove nothing", memguard, len(d))
	}
	d := deps(".")
	if !slices.Contains(d, "refuge/internal/noreplace") {
		t.Fatalf("client does not list refuge/internal/noreplace among its %d dependencies; the listing is not what was meant", len(d))
	}
	for _, p := range d {
		if p == memguard || strings.HasPrefix(p, memguard+"/") {
			t.Errorf("client depends on %s; find the importer with: go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./client | grep memguard", p)
		}
	}
}
