package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"refuge/server/store"
)

// TestTokensOfTheOldLayout opens a database written before a name could
// take a new token: every token record at "role NUL name", a revoked one
// too, as JSON in the form of that time. Nothing is migrated: the store
// reads it as it is, the revoked token stays revoked, the active one is
// still taken, and a new token takes the revoked one's name or replaces
// the active one, the old records staying beside it, across a reopen.
func TestTokensOfTheOldLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	db, err := bolt.Open(filepath.Join(dir, "refuge.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := []struct{ key, value string }{
		{"courier\x00desk1", `{"name":"desk1","role":"courier","verifier":"%x","created":"2025-05-01","revoked":true}`},
		{"partner\x00fld", `{"name":"fld","role":"partner","verifier":"%x","created":"2025-05-02"}`},
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("tokens"))
		if err != nil {
			return err
		}
		for i, r := range old {
			if err := b.Put([]byte(r.key), fmt.Appendf(nil, r.value, v(fmt.Sprint("old", i)))); err != nil {
				return err
			}
		}
		return nil
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	s := openBolt(t, dir)
	if tk, err := s.TokenByVerifier(ctx, v("old0")); err != nil || tk.Name != "desk1" || tk.Role != store.RoleCourier || !tk.Revoked || tk.Created != "2025-05-01" {
		t.Fatalf("the old revoked courier token: %+v, %v", tk, err)
	}
	if tk, err := s.TokenByVerifier(ctx, v("old1")); err != nil || tk.Name != "fld" || tk.Revoked {
		t.Fatalf("the old active partner token: %+v, %v", tk, err)
	}
	if err := s.AddToken(ctx, store.Token{Name: "fld", Role: store.RolePartner, Verifier: v("new")}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("add over the old active token: %v", err)
	}
	if err := s.AddToken(ctx, store.Token{Name: "x", Role: store.RolePartner, Verifier: v("old0")}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("add with the old revoked token's verifier: %v", err)
	}
	if err := s.AddToken(ctx, store.Token{Name: "desk1", Role: store.RoleCourier, Verifier: v("desk1 new")}); err != nil {
		t.Fatalf("add of the old revoked courier's name: %v", err)
	}
	if revoked, err := s.ReissueToken(ctx, store.Token{Name: "fld", Role: store.RolePartner, Verifier: v("fld new")}); err != nil || !revoked {
		t.Fatalf("reissue of the old active partner token: %v, %v", revoked, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openBolt(t, dir)
	list, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range list {
		got = append(got, fmt.Sprintf("%s:%s:%s:%v", tk.Role, tk.Name, tk.Created, tk.Revoked))
	}
	today := store.DayOf(testNow())
	want := fmt.Sprintf("courier:desk1:2025-05-01:true courier:desk1:%s:false partner:fld:2025-05-02:true partner:fld:%s:false", today, today)
	if strings.Join(got, " ") != want {
		t.Fatalf("tokens after a reopen:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	for _, c := range []struct {
		v       string
		revoked bool
	}{{"old0", true}, {"old1", true}, {"desk1 new", false}, {"fld new", false}} {
		if tk, err := s.TokenByVerifier(ctx, v(c.v)); err != nil || tk.Revoked != c.revoked {
			t.Errorf("token %q: %+v, %v (want revoked %v)", c.v, tk, err, c.revoked)
		}
	}
	// The active tokens stay at their old keys, where a store of the old
	// layout would look for them.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(filepath.Join(dir, "refuge.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		for key, want := range map[string][32]byte{"partner\x00fld": v("fld new"), "courier\x00desk1": v("desk1 new")} {
			if got := tx.Bucket([]byte("tokens")).Get([]byte(key)); !strings.Contains(string(got), hex.EncodeToString(want[:])) {
				t.Errorf("at %q: %s", key, got)
			}
		}
		return nil
	})
}
