package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestAbandonedUploadsLeaveNothing: anyone may create an upload, and
// each creation used to log a created event that nothing ever removed,
// so an anonymous client could grow the database without bound (within
// the rate limit) by creating uploads and walking away. Now the created
// event is logged with the completion. Sixty uploads are created and
// never completed, anonymous and a partner's: left empty, left half
// sent, terminated with DELETE, or refused at completion (not age). Once
// they expire and the sweep has run, the database holds exactly what one
// completed submission leaves (its created and completed events) beside
// the fixture's tokens and manifest: no key of the abandoned uploads in
// any bucket, and no file of theirs.
func TestAbandonedUploadsLeaveNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.submit(newSubmitter(), e.bundle(1000))
	for i := range 60 {
		tok := ""
		md := newSubmitter().meta()
		if i%5 == 4 {
			tok, md = e.partner, md+","+meta("kind", "relay")
		}
		loc := e.create(1000, md, tok)
		switch i % 4 {
		case 1: // half sent
			if resp, b := e.patch(loc, 0, make([]byte, 500)); resp.StatusCode != 204 {
				t.Fatalf("PATCH: %d %s", resp.StatusCode, b)
			}
		case 2: // terminated
			if resp, b := e.do("DELETE", loc, nil, tusHdr()); resp.StatusCode != 204 {
				t.Fatalf("DELETE: %d %s", resp.StatusCode, b)
			}
		case 3: // refused at completion
			if resp, b := e.patch(loc, 0, make([]byte, 1000)); resp.StatusCode != 422 {
				t.Fatalf("PATCH of a non-age file: %d %s", resp.StatusCode, b)
			}
		}
	}
	e.clock.days.Add(8) // past the 7 days of a partial upload
	if _, err := e.st.ExpireUploads(ctx, e.today()); err != nil {
		t.Fatal(err)
	}

	e.srv.Close()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(e.dir, "refuge.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := map[string]int{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			got[string(name)] = b.Stats().KeyN
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"uploads": 0, "reserved": 0, "submissions": 1, "events": 2, "tokens": 2, "manifest": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("keys per bucket %v, want %v", got, want)
	}
	parts, err := os.ReadDir(filepath.Join(e.dir, "uploads"))
	if err != nil || len(parts) != 0 {
		t.Fatalf("upload files left: %d (%v)", len(parts), err)
	}
	if blobs, err := os.ReadDir(filepath.Join(e.dir, "blobs")); err != nil || len(blobs) != 1 {
		t.Fatalf("%d ciphertext files (%v), want the one submission's", len(blobs), err)
	}
}
