package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
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
