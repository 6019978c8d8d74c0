package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"refuge/client"
	"refuge/client/clienttest"
	"refuge/server/api"
)

// TestTokenRole: against a real server, a partner's and a courier's token
// name their role, and a wrong token is api.ErrUnauthorized, asked once
// (a 401 is not retried).
func TestTokenRole(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for token, want := range map[string]string{srv.Partner: "partner", srv.Courier: "courier"} {
		if role, err := c.TokenRole(ctx, token); err != nil || role != want {
			t.Fatalf("TokenRole = %q, %v; want %q", role, err, want)
		}
	}
	before := srv.Requests()["GET"]
	if _, err := c.TokenRole(ctx, randomHex(32)); !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("unknown token: %v, want unauthorized", err)
	}
	if n := srv.Requests()["GET"] - before; n != 1 {
		t.Fatalf("%d GETs: a 401 was retried", n)
	}
}

// TestTokenRoleHostileServer: what a server from before GET /v1/token, or
// a hostile one, answers. A 404 means the server cannot tell: no role, no
// error, so the caller goes on as before the question existed. A role the
// client does not know (an escape sequence, a huge string, not JSON) is an
// error that repeats none of it.
func TestTokenRoleHostileServer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"older server", 404, `{"error":{"code":"not_found","message":"no such endpoint"}}`, true},
		{"unknown role", 200, `{"role":"officer"}`, false},
		{"empty role", 200, `{"role":""}`, false},
		{"escape sequence", 200, `{"role":"partner\u001b]52;c;aGk=\u0007"}`, false},
		{"huge role", 200, `{"role":"` + strings.Repeat("p", 1<<20) + `"}`, false},
		{"not JSON", 200, `partner`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", Retry: fast})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			role, err := c.TokenRole(context.Background(), randomHex(32))
			if tc.ok {
				if err != nil || role != "" {
					t.Fatalf("TokenRole = %q, %v; want no role and no error", role, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("TokenRole = %q, want an error", role)
			}
			if role != "" || strings.ContainsAny(err.Error(), "\x1b\x07") || len(err.Error()) > 300 {
				t.Fatalf("TokenRole = %q, %q", role, err)
			}
		})
	}
}
