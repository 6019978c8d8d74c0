//go:build linux

package secrets

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestInit(t *testing.T) {
	purge, err := Init()
	if err != nil {
		t.Fatalf("Init: %v (the test needs memlock of at least 64 KiB)", err)
	}
	defer purge()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur != 0 || lim.Max != 0 {
		t.Errorf("RLIMIT_CORE = %d/%d after Init, want 0/0", lim.Cur, lim.Max)
	}
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d, %v after Init, want 0", d, err)
	}
	b, err := ReadPassphrase(Prompt{File: writeTemp(t, "pw\n")})
	if err != nil {
		t.Fatal(err)
	}
	b.Destroy()
}
