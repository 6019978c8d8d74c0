package store_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"refuge/server/store"
	"refuge/server/store/storetest"
)

// rewriteToken replaces old by new in the stored record of the token of
// role and name, behind the store's back (the store is closed).
func rewriteToken(t *testing.T, dir string, role store.Role, name string, old, new []byte) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "refuge.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("tokens"))
		key := []byte(string(role) + "\x00" + name)
		v := b.Get(key)
		if !bytes.Contains(v, old) {
			t.Fatalf("token %s %q does not hold %q", role, name, old)
		}
		return b.Put(key, bytes.Replace(v, old, new, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCompleteKeepsUploadWhenTokenUnreadable: the completion asks, in its
// commit, whether the token that created the upload is still active. If
// the store cannot read that token's record (here: damaged in the file,
// as a failing disk would), it cannot tell, and before it deleted the
// fully received upload as if the token were revoked. Now Complete and
// WriteLastChunk keep it, fully received, and say ErrUndecided; once the
// record reads again (after a restart: Open's recovery leaves such an
// upload as it is), Complete finishes it with the bytes and hash it had.
func TestCompleteKeepsUploadWhenTokenUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	v := sha256.Sum256([]byte("the partner's token"))
	if err := s.AddToken(ctx, store.Token{Name: "fld", Role: store.RolePartner, Verifier: v}); err != nil {
		t.Fatal(err)
	}
	newUpload := func(n int) (store.Upload, []byte) {
		data := storetest.Data(n)
		u := store.Upload{ID: storetest.NewID(t), Length: int64(n), Expires: "2999-12-31", Kind: store.KindRelay,
			SubmissionID: storetest.NewID(t), Partner: "fld", CreatorToken: v}
		if err := s.CreateUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u, data
	}
	full, fullData := newUpload(70000) // completed by Complete
	if _, err := s.WriteChunk(ctx, full.ID, 0, bytes.NewReader(fullData), nil); err != nil {
		t.Fatal(err)
	}
	last, lastData := newUpload(50000) // completed by WriteLastChunk
	if _, err := s.WriteChunk(ctx, last.ID, 0, bytes.NewReader(lastData[:1000]), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	good := []byte(`"verifier":"`)
	bad := []byte(`"verifier":"not hex`)
	rewriteToken(t, dir, store.RolePartner, "fld", good, bad)

	s = openBolt(t, dir)
	accept := func(io.Reader) error { return nil }
	_, err = s.Complete(ctx, full.ID, accept)
	if !errors.Is(err, store.ErrUndecided) || errors.Is(err, store.ErrRejected) {
		t.Fatalf("Complete with the token unreadable: %v, want ErrUndecided", err)
	}
	n, err := s.WriteLastChunk(ctx, last.ID, 1000, bytes.NewReader(lastData[1000:]), nil, accept)
	if !errors.Is(err, store.ErrUndecided) || errors.Is(err, store.ErrRejected) || n != last.Length {
		t.Fatalf("WriteLastChunk with the token unreadable: %d, %v; want %d and ErrUndecided", n, err, last.Length)
	}
	for _, u := range []store.Upload{full, last} {
		got, err := s.Upload(ctx, u.ID)
		if err != nil || got.Offset != u.Length {
			t.Fatalf("upload after an undecided completion: %+v, %v; want it kept at offset %d", got, err, u.Length)
		}
		if _, err := s.Submission(ctx, u.SubmissionID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("submission after an undecided completion: %v, want none", err)
		}
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	rewriteToken(t, dir, store.RolePartner, "fld", bad, good)
	s = openBolt(t, dir)
	for _, c := range []struct {
		u    store.Upload
		data []byte
	}{{full, fullData}, {last, lastData}} {
		sub, err := s.Complete(ctx, c.u.ID, accept)
		if err != nil {
			t.Fatalf("Complete once the token reads again: %v", err)
		}
		if sub.SHA256 != sha256.Sum256(c.data) || sub.Size != c.u.Length {
			t.Fatal("the completed upload's hash or size differs from what was sent")
		}
		f, err := s.OpenCiphertext(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, c.data) {
			t.Fatalf("stored bytes differ from what was sent (%v)", err)
		}
	}
}
