package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"refuge/server/store"
	"refuge/server/store/storetest"
)

var ctx = context.Background()

func newUpload(t *testing.T, kind store.Kind, sub string, length int) store.Upload {
	return store.Upload{
		ID: storetest.NewID(t), Length: int64(length), Created: "2026-11-30", Expires: "2026-12-07",
		Kind: kind, SubmissionID: sub, Verifier: sha256.Sum256([]byte(sub)),
	}
}

func mustCreate(t *testing.T, s store.Store, u store.Upload) {
	t.Helper()
	if err := s.CreateUpload(ctx, u); err != nil {
		t.Fatalf("CreateUpload: %v", err)
	}
}

func mustWrite(t *testing.T, s store.Store, id string, off int64, data []byte) {
	t.Helper()
	if _, err := s.WriteChunk(ctx, id, off, bytes.NewReader(data), nil); err != nil {
		t.Fatalf("WriteChunk: %v", err)
	}
}

func mustComplete(t *testing.T, s store.Store, id string) store.Submission {
	t.Helper()
	sub, err := s.Complete(ctx, id, nil)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	return sub
}

// reopen closes s and opens the same directory again.
func reopen(t *testing.T, s *store.BoltStore, dir string) *store.BoltStore {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openBolt(t, dir)
}

// listFiles returns every file under dir, relative, sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s := openBolt(t, dir)
	data := storetest.Data(300000)
	u := newUpload(t, store.KindAnonymous, storetest.NewID(t), len(data))
	mustCreate(t, s, u)
	mustWrite(t, s, u.ID, 0, data)
	sub := mustComplete(t, s, u.ID)
	reply := newUpload(t, store.KindReply, sub.ID, 100)
	mustCreate(t, s, reply)
	mustWrite(t, s, reply.ID, 0, data[:100])
	mustComplete(t, s, reply.ID)
	partial := newUpload(t, store.KindReferral, storetest.NewID(t), len(data))
	mustCreate(t, s, partial)
	mustWrite(t, s, partial.ID, 0, data[:123456])
	tok := store.Token{Name: "fld", Role: store.RolePartner, Verifier: sha256.Sum256([]byte("t")), Created: "2026-11-30"}
	if err := s.AddToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManifest(ctx, []byte("m"), []byte("sig"), 7); err != nil {
		t.Fatal(err)
	}
	wantSub, _ := s.Submission(ctx, sub.ID)
	wantEvents, _ := s.Events(ctx, 0, 0)

	s = reopen(t, s, dir)
	if got, err := s.Submission(ctx, sub.ID); err != nil || !equalSubmission(got, wantSub) {
		t.Fatalf("submission after reopen: %+v, %v", got, err)
	}
	if got, _ := s.Events(ctx, 0, 0); !slices.Equal(got, wantEvents) {
		t.Fatal("event log changed across reopen")
	}
	if got, err := s.TokenByVerifier(ctx, tok.Verifier); err != nil || got != tok {
		t.Fatalf("token after reopen: %+v, %v", got, err)
	}
	if m, sig, v, err := s.Manifest(ctx); err != nil || string(m) != "m" || string(sig) != "sig" || v != 7 {
		t.Fatalf("manifest after reopen: %v", err)
	}
	c, err := s.OpenCiphertext(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(c)
	c.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("ciphertext changed across reopen")
	}
	if up, err := s.Upload(ctx, partial.ID); err != nil || up.Offset != 123456 {
		t.Fatalf("partial upload after reopen: %+v, %v", up, err)
	}
	// The running hash survived: finishing the upload gives the right sum.
	mustWrite(t, s, partial.ID, 123456, data[123456:])
	if done := mustComplete(t, s, partial.ID); done.SHA256 != sha256.Sum256(data) {
		t.Fatal("hash of an upload resumed after reopen is wrong")
	}
}

func equalSubmission(a, b store.Submission) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Verifier == b.Verifier && a.Partner == b.Partner &&
		a.Received == b.Received && a.Status == b.Status && a.Size == b.Size && a.SHA256 == b.SHA256 &&
		slices.Equal(a.Replies, b.Replies)
}

func TestPermissionsAndTimes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := openBolt(t, dir)
	u := newUpload(t, store.KindAnonymous, storetest.NewID(t), 10)
	mustCreate(t, s, u)
	mustWrite(t, s, u.ID, 0, []byte("0123456789"))
	sub := mustComplete(t, s, u.ID)
	r := newUpload(t, store.KindReply, sub.ID, 3)
	mustCreate(t, s, r)
	mustWrite(t, s, r.ID, 0, []byte("abc"))
	mustComplete(t, s, r.ID)
	p := newUpload(t, store.KindAnonymous, storetest.NewID(t), 10)
	mustCreate(t, s, p)
	mustWrite(t, s, p.ID, 0, []byte("0123"))

	midnight := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		if strings.HasSuffix(path, ".age") || strings.HasSuffix(path, ".part") {
			if !fi.ModTime().Equal(midnight) {
				t.Errorf("%s has time %v, want the day's midnight %v", path, fi.ModTime(), midnight)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"blobs/" + sub.ID + ".age", "refuge.db", "replies/" + sub.ID + "/" + r.ID + ".age", "uploads/" + p.ID + ".part"}
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("data directory holds %v, want %v", got, want)
	}
}

func TestRecoverCutsUnacknowledgedBytes(t *testing.T) {
	dir := t.TempDir()
	s := openBolt(t, dir)
	data := storetest.Data(5000)
	u := newUpload(t, store.KindAnonymous, storetest.NewID(t), len(data))
	mustCreate(t, s, u)
	mustWrite(t, s, u.ID, 0, data[:2000])
	s.Close()
	// A crash after writing, before the offset was committed.
	part := filepath.Join(dir, "uploads", u.ID+".part")
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("bytes nobody acknowledged"))
	f.Close()

	s = openBolt(t, dir)
	if fi, err := os.Stat(part); err != nil || fi.Size() != 2000 {
		t.Fatalf("part file after recovery: %v, %v; want 2000 bytes", fi.Size(), err)
	}
	mustWrite(t, s, u.ID, 2000, data[2000:])
	if sub := mustComplete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("recovered upload has the wrong hash")
	}
}

func TestRecoverLostBytesIsAnError(t *testing.T) {
	dir := t.TempDir()
	s := openBolt(t, dir)
	u := newUpload(t, store.KindAnonymous, storetest.NewID(t), 100)
	mustCreate(t, s, u)
	mustWrite(t, s, u.ID, 0, storetest.Data(50))
	s.Close()
	if err := os.Truncate(filepath.Join(dir, "uploads", u.ID+".part"), 10); err != nil {
		t.Fatal(err)
	}
	s2, err := store.Open(dir, store.Options{Now: testNow})
	if err == nil {
		s2.Close()
		t.Fatal("Open accepted a part file shorter than its acknowledged offset")
	}
	if !strings.Contains(err.Error(), "acknowledged") {
		t.Fatalf("unclear error: %v", err)
	}
}

func TestRecoverRemovesOrphans(t *testing.T) {
	dir := t.TempDir()
	s := openBolt(t, dir)
	keepSub := submitBytes(t, s, []byte("kept"))
	goneSub := submitBytes(t, s, []byte("acknowledged"))
	if err := s.DeleteSubmission(ctx, goneSub.ID, goneSub.SHA256); err != nil {
		t.Fatal(err)
	}
	r := newUpload(t, store.KindReply, keepSub.ID, 2)
	mustCreate(t, s, r)
	mustWrite(t, s, r.ID, 0, []byte("ok"))
	mustComplete(t, s, r.ID)
	p := newUpload(t, store.KindAnonymous, storetest.NewID(t), 10)
	mustCreate(t, s, p)
	s.Close()
	want := listFiles(t, dir)

	stray := []string{
		"uploads/" + storetest.NewID(t) + ".part",
		"uploads/something.tmp",
		"blobs/" + storetest.NewID(t) + ".age",
		"blobs/" + goneSub.ID + ".age", // a delete cut before the file went
		"replies/" + keepSub.ID + "/" + storetest.NewID(t) + ".age",
		"replies/" + storetest.NewID(t) + "/" + storetest.NewID(t) + ".age",
		"replies/stray",
	}
	for _, name := range stray {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o700)
		if err := os.WriteFile(path, []byte("orphan"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s = openBolt(t, dir)
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after recovery the data directory holds %v, want %v", got, want)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "replies")); len(ents) != 1 {
		t.Fatalf("replies/ holds %d entries, want 1", len(ents))
	}

	// ExpireUploads also sweeps, while the store is open.
	os.WriteFile(filepath.Join(dir, "blobs", storetest.NewID(t)+".age"), []byte("orphan"), 0o600)
	if _, err := s.ExpireUploads(ctx, "2026-11-30"); err != nil {
		t.Fatal(err)
	}
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after ExpireUploads the data directory holds %v, want %v", got, want)
	}
}

func submitBytes(t *testing.T, s store.Store, data []byte) store.Submission {
	t.Helper()
	u := newUpload(t, store.KindAnonymous, storetest.NewID(t), len(data))
	mustCreate(t, s, u)
	mustWrite(t, s, u.ID, 0, data)
	return mustComplete(t, s, u.ID)
}

// A crash inside Complete, after the rename and before the commit: the
// upload comes back as it was, and completing it again works. The same
// inside WriteLastChunk, whose last chunk was never committed: the upload
// comes back at its offset before that chunk.
func TestRecoverCompletionCut(t *testing.T) {
	tests := []struct {
		desc  string
		reply bool
		acked int // bytes committed before the crash; the file holds 1000
	}{
		{"submission", false, 1000},
		{"reply", true, 1000},
		{"last chunk", false, 400},
		{"last chunk of a reply", true, 400},
		{"only chunk", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			s := openBolt(t, dir)
			data := storetest.Data(1000)
			u := newUpload(t, store.KindAnonymous, storetest.NewID(t), len(data))
			placed := filepath.Join(dir, "blobs", u.SubmissionID+".age")
			if tc.reply {
				parent := submitBytes(t, s, []byte("parent"))
				u = newUpload(t, store.KindReply, parent.ID, len(data))
				os.Mkdir(filepath.Join(dir, "replies", parent.ID), 0o700)
				placed = filepath.Join(dir, "replies", parent.ID, u.ID+".age")
			}
			mustCreate(t, s, u)
			if tc.acked > 0 {
				mustWrite(t, s, u.ID, 0, data[:tc.acked])
			}
			s.Close()
			part := filepath.Join(dir, "uploads", u.ID+".part")
			if err := os.WriteFile(part, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(part, placed); err != nil {
				t.Fatal(err)
			}
			s = openBolt(t, dir)
			if got, err := s.Upload(ctx, u.ID); err != nil || got.Offset != int64(tc.acked) {
				t.Fatalf("upload after recovery: %+v, %v; want offset %d", got, err, tc.acked)
			}
			if b, err := os.ReadFile(part); err != nil || !bytes.Equal(b, data[:tc.acked]) {
				t.Fatalf("part file after recovery: %d bytes, %v; want the %d acknowledged", len(b), err, tc.acked)
			}
			if _, err := os.Stat(placed); !os.IsNotExist(err) {
				t.Fatalf("placed file after recovery: %v", err)
			}
			if tc.acked < len(data) {
				mustWrite(t, s, u.ID, int64(tc.acked), data[tc.acked:])
			}
			sub := mustComplete(t, s, u.ID)
			sum := sub.SHA256
			if tc.reply {
				sum = sub.Replies[0].SHA256
			}
			if sum != sha256.Sum256(data) {
				t.Fatal("recovered upload has the wrong hash")
			}
		})
	}
}

func TestOpenTwiceFails(t *testing.T) {
	dir := t.TempDir()
	openBolt(t, dir)
	s, err := store.Open(dir, store.Options{LockTimeout: 50 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("a second Open of the same directory succeeded")
	}
	if !strings.Contains(err.Error(), "in use") {
		t.Fatalf("unclear error: %v", err)
	}
}

// The database holds days, never a time of day: no RFC 3339 timestamp
// (what a time.Time field would marshal to) appears in the file.
func TestDatabaseHoldsNoTimes(t *testing.T) {
	dir := t.TempDir()
	s := openBolt(t, dir)
	sub := submitBytes(t, s, []byte("ciphertext"))
	if err := s.MarkCollected(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	r := newUpload(t, store.KindReply, sub.ID, 2)
	mustCreate(t, s, r)
	mustWrite(t, s, r.ID, 0, []byte("ok"))
	mustComplete(t, s, r.ID)
	if err := s.AddToken(ctx, store.Token{Name: "c", Role: store.RoleCourier, Verifier: sha256.Sum256([]byte("c"))}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubmission(ctx, sub.ID, sub.SHA256); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := os.ReadFile(filepath.Join(dir, "refuge.db"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d`).Find(db); m != nil {
		t.Fatalf("the database holds a time of day: %q", m)
	}
	if !bytes.Contains(db, []byte(`"2026-11-30"`)) {
		t.Fatal("the database holds no day at all; is this the right file?")
	}
}
