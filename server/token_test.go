package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"refuge/server/api"
	"refuge/server/store"
)

// TestCheckToken: GET /v1/token tells a partner or courier what its token
// may do, and gives the one 401 of every endpoint for anything else,
// without changing the store (no event, no upload).
func TestCheckToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	partner := e.addToken(store.RolePartner, "office")
	courier := e.addToken(store.RoleCourier, "night-desk")
	revoked := e.addToken(store.RolePartner, "gone")
	if err := e.st.RevokeToken(context.Background(), store.RolePartner, "gone"); err != nil {
		t.Fatal(err)
	}
	before, err := e.st.Events(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ token, role string }{{partner, "partner"}, {courier, "courier"}} {
		resp, b := e.do("GET", api.PathToken, nil, map[string]string{"Authorization": "Bearer " + c.token})
		var info api.TokenInfo
		if resp.StatusCode != 200 || json.Unmarshal(b, &info) != nil || info.Role != c.role {
			t.Fatalf("%s token: %d %s", c.role, resp.StatusCode, b)
		}
		if strings.Contains(string(b), "office") || strings.Contains(string(b), "night-desk") {
			t.Fatalf("the answer names the token's holder: %s", b)
		}
	}

	hostile := map[string]map[string]string{
		"no token":         nil,
		"revoked":          {"Authorization": "Bearer " + revoked},
		"unknown":          {"Authorization": "Bearer " + strings.Repeat("ab", 32)},
		"too short":        {"Authorization": "Bearer abcd"},
		"too long":         {"Authorization": "Bearer " + strings.Repeat("a", 10000)},
		"not hex":          {"Authorization": "Bearer " + strings.Repeat("zz", 32)},
		"basic scheme":     {"Authorization": "Basic " + partner},
		"token twice":      {"Authorization": "Bearer " + partner + " " + partner},
		"lowercase bearer": {"Authorization": "bearer " + strings.Repeat("ab", 32)},
	}
	for name, hdr := range hostile {
		resp, b := e.do("GET", api.PathToken, nil, hdr)
		if resp.StatusCode != 401 {
			t.Errorf("%s: %d %s, want 401", name, resp.StatusCode, b)
		}
		var body api.ErrorBody
		if json.Unmarshal(b, &body) != nil || body.Error == nil || body.Error.Message == "" {
			t.Errorf("%s: no error envelope: %s", name, b)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		if resp, b := e.do(m, api.PathToken, nil, map[string]string{"Authorization": "Bearer " + partner}); resp.StatusCode != 405 {
			t.Errorf("%s: %d %s, want 405", m, resp.StatusCode, b)
		}
	}

	after, err := e.st.Events(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("checking tokens added %d events", len(after)-len(before))
	}
}
