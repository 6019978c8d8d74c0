package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"refuge/client/clienttest"
	"refuge/server/store"
)

// TestTokenReissue runs token reissue on a stopped server's data
// directory, as an operator does when a token leaked: it revokes the
// active token of the name and prints a new one under the same name; the
// published key manifest is not asked again, only noted; a name no token
// had, a role that has not the name, --unlisted and hostile names are
// refused in words and change nothing. Before, there was no reissue, and
// token add refused the name of a revoked token for ever.
func TestTokenReissue(t *testing.T) {
	data := newDataDir(t)
	publishManifest(t, clienttest.NewKeys(t), data, 1, "fld")
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}\n$`)
	var toks []string
	mustAdd := func(out, errs string, rc int, want string) {
		t.Helper()
		if rc != exitOK || !hex64.MatchString(out) || errs != want {
			t.Fatalf("%d %q\n%q\nwant\n%q", rc, out, errs, want)
		}
		toks = append(toks, strings.TrimSpace(out))
	}
	once := `this partner token for "fld" is shown only once; the server keeps only its SHA-256`

	out, errs, rc := serverCmd("token", "add", "--partner", "fld", "--data", data)
	mustAdd(out, errs, rc, "refuge-server: "+once+"\n")
	if _, errs, rc := serverCmd("token", "add", "--partner", "fld", "--data", data); rc != exitError || !strings.Contains(errs,
		"hint: if it leaked or was lost: refuge-server token reissue --partner fld --data "+shellWord(data)+" revokes it and prints a new one under the same name, in one step\n") {
		t.Fatalf("add of an active name: %d %q", rc, errs)
	}

	out, errs, rc = serverCmd("token", "reissue", "--partner", "fld", "--data", data)
	mustAdd(out, errs, rc, `refuge-server: revoked the partner token "fld" and added a new one under that name: `+once+"\n"+
		"refuge-server: note: uploads begun with the old token cannot be finished; they are started again with the new one\n")

	// Refused, changing nothing.
	for _, c := range []struct {
		args   []string
		rc     int
		stderr string
	}{
		{[]string{"--courier", "fld"}, exitError, "refuge-server: error: reissue token: there is no courier token named \"fld\"; nothing was revoked or added\n" +
			"refuge-server: hint: there is a partner token named \"fld\": did you mean --partner?\n"},
		{[]string{"--partner", "nobody"}, exitError, "refuge-server: error: reissue token: there is no partner token named \"nobody\"; nothing was revoked or added\n" +
			"refuge-server: hint: token list shows the tokens, with their roles\n" +
			"refuge-server: hint: a name's first token is added by refuge-server token add --partner nobody --data " + shellWord(data) + "\n"},
		{[]string{"--partner", "fl\u0434"}, exitError, "refuge-server: error: reissue token: there is no partner token named \"fl\\u0434\"; nothing was revoked or added\n" +
			"refuge-server: hint: token list shows the tokens, with their roles\n" +
			"refuge-server: hint: a name's first token is added by refuge-server token add --partner 'fl\u0434' --data " + shellWord(data) + "\n"},
		{[]string{"--partner", "fld\x1b[2J"}, exitError, "refuge-server: error: reissue token: invalid argument: token name must be 1 to 64 printable characters\n"},
		{[]string{"--partner", "fld\u202e"}, exitError, "refuge-server: error: reissue token: invalid argument: token name must be 1 to 64 printable characters\n"},
		{[]string{"--partner", "it's"}, exitError, "refuge-server: error: reissue token: there is no partner token named \"it's\"; nothing was revoked or added\n" +
			"refuge-server: hint: token list shows the tokens, with their roles\n" +
			"refuge-server: hint: a name's first token is added by refuge-server token add --partner 'it'\\''s' --data " + shellWord(data) + "\n"},
		{[]string{"--partner", strings.Repeat("f", 65)}, exitError, "refuge-server: error: reissue token: invalid argument: token name must be 1 to 64 printable characters\n"},
		{[]string{"--partner", "fld\xff"}, exitError, "refuge-server: error: reissue token: invalid argument: token name must be 1 to 64 printable characters\n"},
		{[]string{"--partner", "fld", "--unlisted"}, exitUsage, "refuge-server: error: --unlisted is only for token add --partner NAME\n" +
			"refuge-server: hint: token reissue keeps the name of the token it replaces; leave out --unlisted\n"},
		{[]string{"--partner", "fld", "--courier", "fld"}, exitUsage, "refuge-server: error: give exactly one of --partner NAME or --courier NAME\n"},
		{[]string{"--partner", ""}, exitUsage, "refuge-server: error: give exactly one of --partner NAME or --courier NAME\n"},
	} {
		out, errs, rc := serverCmd(append(append([]string{"token", "reissue"}, c.args...), "--data", data)...)
		if rc != c.rc || out != "" || errs != c.stderr {
			t.Errorf("reissue %q: %d %q\n%q\nwant\n%q", c.args, rc, out, errs, c.stderr)
		}
	}

	// Revoked, then added again under the same name; revoked, then
	// reissued, which has nothing to revoke.
	if _, errs, rc := serverCmd("token", "revoke", "--partner", "fld", "--data", data); rc != exitOK {
		t.Fatalf("revoke: %q", errs)
	}
	out, errs, rc = serverCmd("token", "add", "--partner", "fld", "--data", data)
	mustAdd(out, errs, rc, "refuge-server: "+once+"\n"+
		"refuge-server: note: the 2 partner tokens named \"fld\" before this one stay revoked; uploads begun with them cannot be finished\n")
	if _, errs, rc := serverCmd("token", "revoke", "--partner", "fld", "--data", data); rc != exitOK {
		t.Fatalf("revoke: %q", errs)
	}
	out, errs, rc = serverCmd("token", "reissue", "--partner", "fld", "--data", data)
	mustAdd(out, errs, rc, `refuge-server: added a new partner token under the name "fld": `+once+"\n"+
		"refuge-server: note: no partner token named \"fld\" was active (revoked before); uploads begun with the old one cannot be finished\n")

	// A partner the manifest does not list (added --unlisted, one that
	// only relays) is reissued with a note, not refused; a courier too.
	if _, errs, rc := serverCmd("token", "add", "--partner", "relay-only", "--unlisted", "--data", data); rc != exitOK {
		t.Fatalf("add --unlisted: %q", errs)
	}
	if out, errs, rc := serverCmd("token", "reissue", "--partner", "relay-only", "--data", data); rc != exitOK || !hex64.MatchString(out) ||
		!strings.HasSuffix(errs, "\nrefuge-server: note: the published key manifest (version 1) does not list partner \"relay-only\": right for a partner that only relays; "+
			"a partner that refers must have its token named as the manifest names it, or the officers' report shows a notice on each of its referrals\n") {
		t.Fatalf("reissue of an unlisted partner: %d %q %q", rc, out, errs)
	}
	if _, errs, rc := serverCmd("token", "add", "--courier", "desk1", "--data", data); rc != exitOK {
		t.Fatalf("add courier: %q", errs)
	}
	if out, errs, rc := serverCmd("token", "reissue", "--courier", "desk1", "--data", data); rc != exitOK || !hex64.MatchString(out) ||
		!strings.HasPrefix(errs, "refuge-server: revoked the courier token \"desk1\" and added a new one under that name: ") {
		t.Fatalf("reissue of a courier: %d %q %q", rc, out, errs)
	}

	// token list: each fld token, oldest first, the active one last.
	out, _, rc = serverCmd("token", "list", "--data", data)
	day := `\d{4}-\d\d-\d\d`
	if rc != exitOK || !regexp.MustCompile(`(?m)^desk1\s+courier\s+`+day+`\s+revoked\s+-\ndesk1\s+courier\s+`+day+`\s+active\s+-\n`+
		`fld\s+partner\s+`+day+`\s+revoked\s+yes\n(fld\s+partner\s+`+day+`\s+revoked\s+yes\n){2}fld\s+partner\s+`+day+`\s+active\s+yes\n`+
		`relay-only\s+partner\s+`+day+`\s+revoked\s+NO\nrelay-only\s+partner\s+`+day+`\s+active\s+NO\n$`).MatchString(out) {
		t.Fatalf("token list: %d\n%s", rc, out)
	}

	// The store holds the verifiers only, every fld token but the last
	// revoked.
	db, err := os.ReadFile(filepath.Join(data, "refuge.db"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, tok := range toks {
		if bytes.Contains(db, []byte(tok)) {
			t.Fatalf("token %d is stored", i)
		}
		b, _ := hex.DecodeString(tok)
		got, err := st.TokenByVerifier(t.Context(), sha256.Sum256(b))
		if err != nil || got.Name != "fld" || got.Revoked != (i < len(toks)-1) {
			t.Fatalf("token %d of %d: %+v, %v", i+1, len(toks), got, err)
		}
	}
}

// TestReissueWhileServerRuns reissues a partner's token on a real
// refuge-server process, through its admin socket, as an operator does
// when the token leaked: at once the old token is refused, the upload it
// had begun can no longer be continued or finished by anyone holding its
// URL, and the new token works. Hostile reissue requests on the socket
// change nothing. After the stop the database holds both tokens, the old
// one revoked.
func TestReissueWhileServerRuns(t *testing.T) {
	keys := clienttest.NewKeys(t)
	keys.Partners = map[string]string{"ngo": partnerKey(t)}
	srv := clienttest.Setup(t, keys, nil, nil, 0)
	_, stop := srv.StartProcess(t, clienttest.BuildServer(t))
	token := func(args ...string) (string, string, int) {
		return serverCmd(append([]string{"token"}, append(args, "--data", srv.Dir)...)...)
	}
	do := func(method, path, tok string, hdr map[string]string, body []byte) (int, http.Header) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Tus-Resumable", "1.0.0")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	create := func(tok string) (int, string) {
		var id [16]byte
		rand.Read(id[:])
		b64 := base64.StdEncoding.EncodeToString
		code, h := do("POST", "/v1/uploads", tok, map[string]string{"Upload-Length": "1000",
			"Upload-Metadata": "kind " + b64([]byte("relay")) + ",submission-id " + b64([]byte(hex.EncodeToString(id[:])))}, nil)
		return code, h.Get("Location")
	}
	patch := func(loc string, off int, n int) int {
		code, _ := do("PATCH", loc, "", map[string]string{"Upload-Offset": strconv.Itoa(off), "Content-Type": "application/offset+octet-stream"}, make([]byte, n))
		return code
	}

	out, errs, rc := token("add", "--partner", "ngo")
	old := strings.TrimSpace(out)
	if rc != exitOK || len(old) != 64 {
		t.Fatalf("token add: %d %q %q", rc, out, errs)
	}
	code, loc := create(old)
	if code != http.StatusCreated || patch(loc, 0, 100) != http.StatusNoContent {
		t.Fatalf("the old token's upload: %d %q", code, loc)
	}

	out, errs, rc = token("reissue", "--partner", "ngo")
	tok := strings.TrimSpace(out)
	if rc != exitOK || len(tok) != 64 || tok == old || !strings.HasPrefix(errs, `refuge-server: revoked the partner token "ngo" and added a new one under that name: `) {
		t.Fatalf("token reissue while running: %d %q %q", rc, out, errs)
	}
	if c := patch(loc, 100, 900); c != http.StatusUnauthorized {
		t.Fatalf("finishing the old token's upload after the reissue: %d, want 401", c)
	}
	if c, _ := do("HEAD", loc, "", nil, nil); c != http.StatusUnauthorized {
		t.Fatalf("HEAD of the old token's upload after the reissue: %d, want 401", c)
	}
	if c, _ := create(old); c != http.StatusUnauthorized {
		t.Fatalf("the old token creates an upload: %d, want 401", c)
	}
	code, loc2 := create(tok)
	if code != http.StatusCreated || patch(loc2, 0, 100) != http.StatusNoContent {
		t.Fatalf("the new token's upload: %d", code)
	}
	if c, _ := do("GET", "/v1/token", tok, nil, nil); c != http.StatusOK {
		t.Fatalf("GET /v1/token with the new token: %d", c)
	}
	if c, _ := do("GET", "/v1/token", old, nil, nil); c != http.StatusUnauthorized {
		t.Fatalf("GET /v1/token with the old token: %d", c)
	}

	// Hostile or broken reissue requests on the socket.
	for _, body := range []string{`{"op":"reissue","role":"admin","name":"ngo"}`, `{"op":"reissue","role":"","name":"ngo"}`,
		`{"op":"reissue","role":"partner","name":"ngo","unlisted":true}`, `{"op":"reissue","role":"partner","name":"nobody"}`,
		`{"op":"reissue","role":"partner","name":""}`, `{"op":"reissue","role":"partner","name":"\u001b[2J"}`,
		`{"op":"reissue","role":"courier","name":"ngo"}`, `{"op":"reissue","role":"partner","name":"` + strings.Repeat("n", 5000) + `"}`,
		`{"op":"reissue","role":"partner","name":"ngo","token":"` + old + `"}`, `{"op":"reissue","role":"partner","name":"ngo"} {}`,
		`{"op":"Reissue","role":"partner","name":"ngo"}`} {
		c, err := net.Dial("unix", filepath.Join(srv.Dir, adminSocketName))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		reply, _ := io.ReadAll(c)
		c.Close()
		if !bytes.Contains(reply, []byte(`"error"`)) || bytes.Contains(reply, []byte(`"out"`)) {
			t.Errorf("admin request %.60q: %s", body, reply)
		}
	}
	if c, _ := do("GET", "/v1/token", tok, nil, nil); c != http.StatusOK {
		t.Fatalf("the new token after the hostile requests: %d", c)
	}
	out, _, rc = token("list")
	if rc != exitOK || !regexp.MustCompile(`(?m)^ngo\s+partner\s+\S+\s+revoked\s+yes\nngo\s+partner\s+\S+\s+active\s+yes$`).MatchString(out) ||
		strings.Count(out, "ngo") != 2 {
		t.Fatalf("token list while running: %d\n%s", rc, out)
	}

	stop()
	st, err := store.Open(srv.Dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, c := range []struct {
		tok     string
		revoked bool
	}{{old, true}, {tok, false}} {
		b, _ := hex.DecodeString(c.tok)
		if got, err := st.TokenByVerifier(t.Context(), sha256.Sum256(b)); err != nil || got.Name != "ngo" || got.Revoked != c.revoked {
			t.Fatalf("after the stop: %+v, %v (want revoked %v)", got, err, c.revoked)
		}
	}
}
