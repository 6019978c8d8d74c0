package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"refuge/server/store"
)

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	tokens := []store.Token{
		{Name: "fld", Role: store.RolePartner, Verifier: sha256.Sum256([]byte("a")), Created: day},
		{Name: "fld", Role: store.RoleCourier, Verifier: sha256.Sum256([]byte("b")), Created: day},
		{Name: "ottawa-1", Role: store.RoleCourier, Verifier: sha256.Sum256([]byte("c")), Created: day},
	}
	for _, tok := range tokens {
		if err := s.AddToken(ctx, tok); err != nil {
			t.Fatalf("AddToken %s: %v", tok.Name, err)
		}
	}
	dup := tokens[0]
	dup.Verifier = sha256.Sum256([]byte("d"))
	wantErr(t, "same name and role", s.AddToken(ctx, dup), store.ErrExists)
	sameV := store.Token{Name: "other", Role: store.RolePartner, Verifier: tokens[2].Verifier, Created: day}
	wantErr(t, "same verifier", s.AddToken(ctx, sameV), store.ErrExists)

	for _, tok := range tokens {
		got, err := s.TokenByVerifier(ctx, tok.Verifier)
		if err != nil || got != tok {
			t.Fatalf("TokenByVerifier: %+v, %v; want %+v", got, err, tok)
		}
	}
	_, err := s.TokenByVerifier(ctx, sha256.Sum256([]byte("z")))
	wantErr(t, "unknown verifier", err, store.ErrNotFound)
	_, err = s.TokenByVerifier(ctx, [32]byte{})
	wantErr(t, "zero verifier", err, store.ErrNotFound)

	if err := s.RevokeToken(ctx, store.RoleCourier, "fld"); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByVerifier(ctx, tokens[1].Verifier)
	if err != nil || !got.Revoked {
		t.Fatalf("revoked token: %+v, %v", got, err)
	}
	if got, _ := s.TokenByVerifier(ctx, tokens[0].Verifier); got.Revoked {
		t.Fatal("revoking the courier fld revoked the partner fld")
	}
	wantErr(t, "revoke unknown", s.RevokeToken(ctx, store.RolePartner, "nobody"), store.ErrNotFound)
	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("Tokens: %d, %v", len(list), err)
	}
}

func testTokensInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		desc string
		tok  store.Token
	}{
		{"no role", store.Token{Name: "a", Verifier: sha256.Sum256([]byte("a"))}},
		{"unknown role", store.Token{Name: "a", Role: "admin", Verifier: sha256.Sum256([]byte("a"))}},
		{"empty name", store.Token{Role: store.RolePartner, Verifier: sha256.Sum256([]byte("a"))}},
		{"control in name", store.Token{Name: "a\x00b", Role: store.RolePartner, Verifier: sha256.Sum256([]byte("a"))}},
		// Stored as JSON, it would come back (and go to couriers) with each
		// byte a three-byte U+FFFD, no longer the name added.
		{"name not UTF-8", store.Token{Name: "fld\xff", Role: store.RolePartner, Verifier: sha256.Sum256([]byte("a"))}},
		{"zero verifier", store.Token{Name: "a", Role: store.RolePartner}},
	}
	for _, tc := range tests {
		wantErr(t, tc.desc, s.AddToken(context.Background(), tc.tok), store.ErrInvalid)
	}
	if list, _ := s.Tokens(context.Background()); len(list) != 0 {
		t.Fatalf("refused tokens were stored: %v", list)
	}
}

func testManifest(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, _, _, err := s.Manifest(ctx)
	wantErr(t, "no manifest yet", err, store.ErrNotFound)
	tests := []struct {
		desc    string
		version uint64
		wantErr error
		current uint64
	}{
		{"first", 3, nil, 3},
		{"same version", 3, store.ErrBadState, 3},
		{"lower version", 2, store.ErrBadState, 3},
		{"higher version", 4, nil, 4},
	}
	for _, tc := range tests {
		m := []byte(`{"version":` + strconv.FormatUint(tc.version, 10) + `}`)
		err := s.PutManifest(ctx, m, []byte("sig"), tc.version)
		if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
			t.Fatalf("%s: %v, want %v", tc.desc, err, tc.wantErr)
		}
		gm, gs, gv, err := s.Manifest(ctx)
		if err != nil || gv != tc.current || string(gs) != "sig" || !bytes.Contains(gm, []byte(strconv.FormatUint(tc.current, 10))) {
			t.Fatalf("%s: current manifest %q version %d, %v", tc.desc, gm, gv, err)
		}
	}
	wantErr(t, "empty manifest", s.PutManifest(ctx, nil, []byte("sig"), 9), store.ErrInvalid)
	wantErr(t, "huge manifest", s.PutManifest(ctx, make([]byte, 64<<10+1), []byte("sig"), 9), store.ErrInvalid)
}

// testTokenNewAfterRevoke: a name whose token is revoked takes a new
// token, by AddToken or by ReissueToken (which revokes the active one in
// the same step); the revoked records stay, still revoked, and keep
// their verifiers: no verifier is ever used twice, and at most one token
// of a role and name is active.
func testTokenNewAfterRevoke(t *testing.T, s store.Store) {
	ctx := context.Background()
	v := func(i int) [32]byte { return sha256.Sum256([]byte("reissue " + strconv.Itoa(i))) }
	tok := func(i int, created store.Day) store.Token {
		return store.Token{Name: "fld", Role: store.RolePartner, Verifier: v(i), Created: created}
	}
	// active reports which of the tokens 1..n TokenByVerifier finds
	// active, as a string of digits; every one must be found.
	active := func(n int) string {
		t.Helper()
		var a []byte
		for i := 1; i <= n; i++ {
			got, err := s.TokenByVerifier(ctx, v(i))
			if err != nil || got.Name != "fld" || got.Role != store.RolePartner {
				t.Fatalf("token %d: %+v, %v", i, got, err)
			}
			if !got.Revoked {
				a = append(a, byte('0'+i))
			}
		}
		return string(a)
	}
	if err := s.AddToken(ctx, tok(1, "2026-01-01")); err != nil {
		t.Fatal(err)
	}
	if err := s.AddToken(ctx, store.Token{Name: "fld", Role: store.RoleCourier, Verifier: v(9), Created: day}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "add while a token of the name is active", s.AddToken(ctx, tok(2, day)), store.ErrExists)

	_, err := s.ReissueToken(ctx, store.Token{Name: "nobody", Role: store.RolePartner, Verifier: v(2)})
	wantErr(t, "reissue of a name no token had", err, store.ErrNotFound)
	_, err = s.ReissueToken(ctx, store.Token{Name: "fld", Role: store.RolePartner, Verifier: v(1)})
	wantErr(t, "reissue with the active token's own verifier", err, store.ErrExists)
	_, err = s.ReissueToken(ctx, store.Token{Name: "fld", Role: store.RolePartner, Verifier: v(9)})
	wantErr(t, "reissue with another role's verifier", err, store.ErrExists)
	_, err = s.ReissueToken(ctx, store.Token{Name: "fld", Role: store.RolePartner, Verifier: v(2), Revoked: true})
	wantErr(t, "reissue of a revoked token", err, store.ErrInvalid)
	for _, bad := range []store.Token{{Name: "fld", Role: "admin", Verifier: v(2)}, {Name: "fl\x00d", Role: store.RolePartner, Verifier: v(2)},
		{Name: "fld", Role: store.RolePartner}, {Name: "fld", Role: store.RolePartner, Verifier: v(2), Created: "2026-02-30"}} {
		_, err = s.ReissueToken(ctx, bad)
		wantErr(t, "reissue of an invalid token", err, store.ErrInvalid)
	}
	if a := active(1); a != "1" {
		t.Fatalf("refused reissues changed the tokens: active %q", a)
	}

	revoked, err := s.ReissueToken(ctx, tok(2, "2026-02-01"))
	if err != nil || !revoked {
		t.Fatalf("reissue: %v, %v", revoked, err)
	}
	if a := active(2); a != "2" {
		t.Fatalf("after the reissue, active %q, want 2", a)
	}
	if got, _ := s.TokenByVerifier(ctx, v(9)); got.Revoked {
		t.Fatal("reissuing the partner fld revoked the courier fld")
	}
	// Revoke, then add under the same name.
	if err := s.RevokeToken(ctx, store.RolePartner, "fld"); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2, 9} {
		wantErr(t, "add with a used verifier", s.AddToken(ctx, tok(i, day)), store.ErrExists)
	}
	if err := s.AddToken(ctx, tok(3, "2026-03-01")); err != nil {
		t.Fatalf("add of a name whose token is revoked: %v", err)
	}
	wantErr(t, "add again", s.AddToken(ctx, tok(4, day)), store.ErrExists)
	// Revoke, then reissue: there is no active token to revoke.
	if err := s.RevokeToken(ctx, store.RolePartner, "fld"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, store.RolePartner, "fld"); err != nil {
		t.Fatalf("revoking again: %v", err)
	}
	revoked, err = s.ReissueToken(ctx, tok(4, "2026-04-01"))
	if err != nil || revoked {
		t.Fatalf("reissue of a name whose token is revoked: %v, %v (want no revocation)", revoked, err)
	}
	if a := active(4); a != "4" {
		t.Fatalf("active %q, want 4", a)
	}
	list, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range list {
		got = append(got, fmt.Sprintf("%s:%s:%s:%v", tk.Role, tk.Name, tk.Created, tk.Revoked))
	}
	want := "courier:fld:2026-11-30:false partner:fld:2026-01-01:true partner:fld:2026-02-01:true partner:fld:2026-03-01:true partner:fld:2026-04-01:false"
	if strings.Join(got, " ") != want {
		t.Fatalf("Tokens:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}
