package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"refuge/internal/pagecache"
)

// A sealed bundle and the files an open extracts leave the page cache once
// they are on disk: the early ranges while the file is still being written
// (one 8 MiB range behind), the rest after the final sync. A bundle that
// Open reads from a file leaves it as it is read.
func TestWrittenFilesLeaveThePageCache(t *testing.T) {
	data := bytes.Repeat([]byte("evidence"), (3*writebackEvery+12345)/8)
	o, dir, path := newOutput(t)
	if _, err := o.Write(data); err != nil {
		t.Fatal(err)
	}
	// One write of it all is one step; the next 8 MiB lets go of it, up to
	// a multiple of 8 MiB.
	if _, err := o.Write(data[:writebackEvery]); err != nil {
		t.Fatal(err)
	}
	if c := pagecache.Cached(t, o.f.Name(), 3*writebackEvery); c != 0 {
		t.Errorf("while writing: %d pages of the first %d bytes still cached", c, 3*writebackEvery)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	size := len(data) + writebackEvery
	if c := pagecache.Cached(t, path, size); c != 0 {
		t.Errorf("after Commit: %d pages of the output still cached", c)
	}

	id := newIdentity(t)
	sealed := seal(t, id, baseContents(bytesFile("video.mp4", data)))
	in := filepath.Join(dir, "in.age")
	if err := os.WriteFile(in, sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil { // clean pages, which the kernel can drop
		t.Fatal(err)
	}
	_, outDir := workspace(t)
	res, err := Open(f, []age.Identity{id}, outDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := pagecache.Cached(t, in, len(sealed)); c != 0 {
		t.Errorf("after Open: %d pages of the bundle read still cached", c)
	}
	got := filepath.Join(res.Dir, "files", "video.mp4")
	if c := pagecache.Cached(t, got, len(data)); c != 0 {
		t.Errorf("after Open: %d pages of the extracted file still cached", c)
	}
	if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("extracted file differs: %v", err)
	}
}
