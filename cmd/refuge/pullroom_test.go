package main

import (
	"math"
	"os"
	"strings"
	"testing"

	"refuge/server/api"
)

// TestPullChecksFreeSpace: a seized server lists submissions larger than
// the courier's disk (one of a pebibyte; two whose sizes add up past what
// an int64 holds, which must not wrap round to a small sum). Before,
// courier pull downloaded until the disk was full. Now it compares the
// listed sizes with the folder's free space first and stops with a clear
// error saying how much is needed and how much is free: exit 1, and no
// download started (no file, no partial file).
func TestPullChecksFreeSpace(t *testing.T) {
	t.Parallel()
	sub := func(id string, size int64) api.Submission {
		return api.Submission{ID: strings.Repeat(id, 16), Kind: "anonymous", Received: "2026-11-30", Status: "received",
			Size: size, SHA256: strings.Repeat("0", 64), Replies: []api.Reply{}}
	}
	for _, tc := range []struct {
		desc string
		subs []api.Submission
		need string
	}{
		{"one larger than the disk", []api.Submission{sub("ab", 1<<50)}, "pulling 1 new submission needs 1.0 PiB"},
		{"sizes that add up past an int64", []api.Submission{sub("ab", math.MaxInt64/2+1), sub("cd", math.MaxInt64/2+1)},
			"pulling 2 new submissions needs 8.0 EiB"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			srv := hostileCourierServer(t, tc.subs, api.AckResult{})
			dir := t.TempDir()
			r := newUser(t).run("", "courier", "pull", "--server", srv.URL, "--token", strings.Repeat("ab", 32), "-o", dir)
			if r.code != 1 || !strings.Contains(r.stderr, "not enough free space in "+dir) || !strings.Contains(r.stderr, tc.need) ||
				!strings.Contains(r.stderr, "is free; nothing was downloaded") {
				t.Fatalf("exit %d, want 1 saying %q and how much is free\nstderr: %q", r.code, tc.need, r.stderr)
			}
			entries, _ := os.ReadDir(dir)
			for _, en := range entries {
				if strings.HasSuffix(en.Name(), ".age") || strings.HasSuffix(en.Name(), ".part") {
					t.Fatalf("a download started: %s", en.Name())
				}
			}
		})
	}
}
