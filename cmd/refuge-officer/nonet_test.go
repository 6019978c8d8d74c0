package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetworking enforces invariant 3: the officer tool links no
// networking code. Every package under net/ is refused, including the pure
// parsers net/url and net/netip: the officer tool has no use for them, and a
// blanket rule cannot be argued around later. os/exec and plugin are refused
// too, since they would let the tool borrow networking from another program.
func TestNoNetworking(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned only %d packages; the check would prove nothing", len(deps))
	}
	for _, p := range deps {
		if forbiddenImport(p) {
			t.Errorf("refuge-officer depends on %s; find the importer with: go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./cmd/refuge-officer | grep %s", p, p)
		}
	}
}

func forbiddenImport(p string) bool {
	for _, prefix := range []string{"net", "crypto/tls", "vendor/golang.org/x/net", "golang.org/x/net", "os/exec", "plugin"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

func TestForbiddenImport(t *testing.T) {
	tests := []struct {
		name string
		pkg  string
		want bool
	}{
		{name: "net", pkg: "net", want: true},
		{name: "http", pkg: "net/http", want: true},
		{name: "url", pkg: "net/url", want: true},
		{name: "rpc", pkg: "net/rpc", want: true},
		{name: "tls", pkg: "crypto/tls", want: true},
		{name: "vendored x/net", pkg: "vendor/golang.org/x/net/dns/dnsmessage", want: true},
		{name: "exec", pkg: "os/exec", want: true},
		{name: "netlike name", pkg: "network/foo", want: false},
		{name: "age", pkg: "filippo.io/age", want: false},
		{name: "os", pkg: "os", want: false},
	}
	for _, tc := range tests {
		if got := forbiddenImport(tc.pkg); got != tc.want {
			t.Errorf("%s: forbiddenImport(%q) = %v, want %v", tc.name, tc.pkg, got, tc.want)
		}
	}
}
