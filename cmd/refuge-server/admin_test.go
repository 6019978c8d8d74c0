package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"refuge/client/clienttest"
	"refuge/server/store"
)

// While a real refuge-server process holds the database, the token
// commands go through its admin socket: a partner token added then works
// at once, and revoked stops working at once, with no restart.
func TestTokensWhileServerRuns(t *testing.T) {
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	_, stop := srv.StartProcess(t, clienttest.BuildServer(t))
	token := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		rc := run(append([]string{"token"}, append(args, "--data", srv.Dir)...), &out, &errb)
		return out.String(), errb.String(), rc
	}
	fi, err := os.Stat(filepath.Join(srv.Dir, adminSocketName))
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v, %v", fi, err)
	}

	out, errs, rc := token("add", "--partner", "ngo")
	tok := strings.TrimSpace(out)
	if rc != 0 || len(tok) != 64 || !strings.Contains(errs, "shown only once") {
		t.Fatalf("token add while running: %d %q %q", rc, out, errs)
	}
	// relay creates a relay upload with the partner token: 201 while the
	// token is valid, 401 once revoked.
	relay := func() int {
		var id [16]byte
		rand.Read(id[:])
		b64 := base64.StdEncoding.EncodeToString
		req, _ := http.NewRequest("POST", srv.URL+"/v1/uploads", nil)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Length", "1000")
		req.Header.Set("Upload-Metadata", "kind "+b64([]byte("relay"))+",submission-id "+b64([]byte(hex.EncodeToString(id[:]))))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := relay(); code != http.StatusCreated {
		t.Fatalf("relay with the new token: %d", code)
	}
	if _, errs, rc := token("add", "--partner", "ngo"); rc != exitError || !strings.Contains(errs, "already exists") {
		t.Fatalf("adding a taken name while running: %d %q", rc, errs)
	}
	if _, errs, rc := token("revoke", "--partner", "ngo"); rc != 0 || !strings.Contains(errs, "revoked") {
		t.Fatalf("token revoke while running: %d %q", rc, errs)
	}
	if code := relay(); code != http.StatusUnauthorized {
		t.Fatalf("relay with the revoked token: %d", code)
	}
	if out, _, rc := token("list"); rc != 0 || !strings.Contains(out, "ngo") || !strings.Contains(out, "true") {
		t.Fatalf("token list while running: %d %q", rc, out)
	}
	if _, errs, rc := token("revoke", "--courier", "nobody"); rc != exitError || !strings.Contains(errs, "not found") {
		t.Fatalf("revoking an unknown token while running: %d %q", rc, errs)
	}

	// Hostile or broken requests on the socket change nothing.
	for _, body := range []string{"", "{", `{"op":"add","role":"admin","name":"x"}`, `{"op":"drop"}`,
		`{"op":"list","extra":1}`, `{"op":"add","role":"partner","name":"` + strings.Repeat("n", 5000) + `"}`} {
		c, err := net.Dial("unix", filepath.Join(srv.Dir, adminSocketName))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		reply, _ := io.ReadAll(c)
		c.Close()
		if !bytes.Contains(reply, []byte(`"error"`)) {
			t.Errorf("admin request %.40q: %s", body, reply)
		}
	}

	// Stopped: the commands open the database directly again, and it holds
	// what the running server did.
	stop()
	st, err := store.Open(srv.Dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := st.Tokens(t.Context())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tk := range toks {
		names = append(names, string(tk.Role)+":"+tk.Name)
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "partner:ngo") || strings.Contains(got, "admin") {
		t.Fatalf("tokens after the server stopped: %s", got)
	}
	if out, _, rc := token("list"); rc != 0 || !strings.Contains(out, "ngo") {
		t.Fatalf("token list on a stopped server: %d %q", rc, out)
	}
}
