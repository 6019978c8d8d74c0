package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"refuge/crypto/signing"
)

func TestSeenStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := OpenSeenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := newKey(t).Public(), newKey(t).Public()
	if h, err := s.Highest(a); err != nil || h != 0 {
		t.Fatalf("empty store: Highest = %d, %v", h, err)
	}
	if err := s.Record(a, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("opening, reading or recording nothing created the state dir")
	}
	for _, step := range []struct {
		desc    string
		key     int // 0: a, 1: b
		record  uint64
		highest uint64
	}{
		{"first record", 0, 3, 3},
		{"raise", 0, 7, 7},
		{"never lower", 0, 2, 7},
		{"other key is independent", 1, 1, 1},
	} {
		pk := a
		if step.key == 1 {
			pk = b
		}
		if err := s.Record(pk, step.record); err != nil {
			t.Fatalf("%s: Record: %v", step.desc, err)
		}
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: state dir not created 0700: %v", step.desc, err)
		}
		if h, _ := s.Highest(pk); h != step.highest {
			t.Fatalf("%s: Highest = %d, want %d", step.desc, h, step.highest)
		}
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != SeenFileName && e.Name() != SeenFileName+".lock" {
			t.Errorf("leftover file %q in the state dir", e.Name())
		}
	}
	// Persistent across a reopen.
	s2, err := OpenSeenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := s2.Highest(a); h != 7 {
		t.Fatalf("after reopen Highest = %d, want 7", h)
	}
}

func TestSeenStoreCorrupt(t *testing.T) {
	tests := []struct {
		desc    string
		content string
	}{
		{"not JSON", "garbage"},
		{"truncated", `{"format":"refuge-seen-manifests-v1","roots":{`},
		{"wrong format", `{"format":"other","roots":{}}`},
		{"unknown field", `{"format":"refuge-seen-manifests-v1","roots":{},"x":1}`},
		{"no roots", `{"format":"refuge-seen-manifests-v1"}`},
		{"bad key", `{"format":"refuge-seen-manifests-v1","roots":{"nope":3}}`},
		{"negative version", `{"format":"refuge-seen-manifests-v1","roots":{"RWSB3LOn2bi2S3nqoA/lWqyh5f1FRrelujdPF25ZjavG+cMk5ShCtsMH":-1}}`},
		{"empty file", ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, SeenFileName)
			os.WriteFile(path, []byte(tc.content), 0o600)
			if _, err := OpenSeenStore(dir); !errors.Is(err, ErrStateCorrupt) {
				t.Fatalf("OpenSeenStore error = %v, want ErrStateCorrupt", err)
			}
			s := &SeenStore{dir: dir}
			if err := s.Record(newKey(t).Public(), 1); !errors.Is(err, ErrStateCorrupt) {
				t.Fatalf("Record error = %v, want ErrStateCorrupt", err)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Fatal("a corrupted state file was changed")
			}
		})
	}
}

func TestDefaultStateDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REFUGE_STATE_DIR", dir)
	if d, err := DefaultStateDir(); err != nil || d != dir {
		t.Fatalf("DefaultStateDir = %q, %v; want $REFUGE_STATE_DIR", d, err)
	}
	s, err := OpenSeenStore("")
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != filepath.Join(dir, SeenFileName) {
		t.Fatalf("Path = %q", s.Path())
	}
	t.Setenv("REFUGE_STATE_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "cfg"))
	t.Setenv("HOME", dir)
	d, err := DefaultStateDir()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := os.UserConfigDir()
	if d != filepath.Join(base, "refuge") {
		t.Fatalf("DefaultStateDir = %q, want %q", d, filepath.Join(base, "refuge"))
	}
}

// Separate stores on one directory (as separate processes would be) never
// lose the highest version when they record concurrently.
func TestSeenStoreConcurrent(t *testing.T) {
	dir := t.TempDir()
	root := newKey(t).Public()
	const writers, versions = 4, 20
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			s, err := OpenSeenStore(dir)
			if err != nil {
				errs <- err
				return
			}
			for v := range versions {
				// Interleave: writer w records w+1, w+1+writers, …
				if err := s.Record(root, uint64(v*writers+w+1)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s, _ := OpenSeenStore(dir)
	if h, _ := s.Highest(root); h != writers*versions {
		t.Fatalf("Highest = %d after concurrent records, want %d", h, writers*versions)
	}
}

func TestVerifyCorruptState(t *testing.T) {
	root := newKey(t)
	mj, sig, err := Sign(goodManifest(t), root, testNow)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := OpenSeenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.Path(), []byte("{"), 0o600)
	if m, err := Verify(mj, sig, root.Public(), testNow, s); !errors.Is(err, ErrStateCorrupt) || m != nil {
		t.Fatalf("Verify with a corrupted state file: %v, want ErrStateCorrupt", err)
	}
}

// TestSeenStoreMadeOnlyWhenKept: a manifest refused (forged, signed by
// another key, expired) leaves no state folder behind; the first one that
// passes makes it, 0700, with the version seen; a rollback then refused
// changes nothing.
func TestSeenStoreMadeOnlyWhenKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent", "state")
	s, err := OpenSeenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	root, other := newKey(t), newKey(t)
	sign := func(version uint64, expires string, key *signing.PrivateKey) ([]byte, []byte) {
		m := goodManifest(t)
		m.Version, m.Expires = version, expires
		mj, sig, err := Sign(m, key, testNow.AddDate(-1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return mj, sig
	}
	good, goodSig := sign(5, day(30), root)
	forged := bytes.Replace(good, []byte(day(30)), []byte(day(31)), 1)
	if bytes.Equal(forged, good) {
		t.Fatal("the forged manifest is the good one: the test no longer shows what it is for")
	}
	otherDoc, otherSig := sign(5, day(30), other)
	expired, expiredSig := sign(7, day(-1), root)
	for _, bad := range []struct {
		desc     string
		doc, sig []byte
	}{
		{"forged", forged, goodSig},
		{"signed by another key", otherDoc, otherSig},
		{"expired", expired, expiredSig},
	} {
		if _, err := Verify(bad.doc, bad.sig, root.Public(), testNow, s); err == nil {
			t.Fatalf("%s: accepted", bad.desc)
		}
		if _, err := os.Lstat(filepath.Dir(dir)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: a manifest refused made the state folder", bad.desc)
		}
	}
	if _, err := Verify(good, goodSig, root.Public(), testNow, s); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the state folder is not made 0700 for the first version kept: %v, %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Dir(dir)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the state folder's parent is not made 0700: %v, %v", fi, err)
	}
	kept, _ := os.ReadFile(s.Path())
	old, oldSig := sign(4, day(30), root)
	if _, err := Verify(old, oldSig, root.Public(), testNow, s); !errors.Is(err, ErrRollback) {
		t.Fatalf("rollback after the folder was made: %v", err)
	}
	if now, _ := os.ReadFile(s.Path()); !bytes.Equal(now, kept) {
		t.Fatal("a rollback refused changed the versions seen")
	}
}
