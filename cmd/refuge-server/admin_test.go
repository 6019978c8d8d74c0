package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"refuge/client/clienttest"
	"refuge/server/store"
)

// While a real refuge-server process holds the database, the token
// commands go through its admin socket: a partner token added then works
// at once, and revoked stops working at once, with no restart. The
// running server checks a partner's name against the manifest it
// publishes as the offline command does.
func TestTokensWhileServerRuns(t *testing.T) {
	keys := clienttest.NewKeys(t)
	keys.Partners = map[string]string{"ngo": partnerKey(t)}
	srv := clienttest.Setup(t, keys, nil, nil, 0)
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
	if _, errs, rc := token("add", "--partner", "ngo"); rc != exitError || !strings.Contains(errs, `the partner token named "ngo" is active; no token was added`) ||
		!strings.Contains(errs, "refuge-server token reissue --partner ngo --data "+srv.Dir+" revokes it") {
		t.Fatalf("adding a taken name while running: %d %q", rc, errs)
	}
	if out, errs, rc := token("add", "--partner", "nog"); rc != exitError || out != "" ||
		!strings.HasPrefix(errs, `refuge-server: error: add token: the published key manifest (version 1) does not list partner "nog" (it lists "ngo"); no token was added
refuge-server: hint: did you mean "ngo"?
`) || !strings.Contains(errs, "add --unlisted\n") {
		t.Fatalf("adding a name the manifest does not list while running: %d %q %q", rc, out, errs)
	}
	if out, errs, rc := token("add", "--partner", "relay-only", "--unlisted"); rc != 0 || len(strings.TrimSpace(out)) != 64 ||
		!strings.Contains(errs, `note: the published key manifest (version 1) does not list partner "relay-only"; added as asked (--unlisted)`) {
		t.Fatalf("token add --unlisted while running: %d %q %q", rc, out, errs)
	}
	if _, errs, rc := token("revoke", "--partner", "ngo"); rc != 0 || !strings.Contains(errs, "revoked") {
		t.Fatalf("token revoke while running: %d %q", rc, errs)
	}
	if code := relay(); code != http.StatusUnauthorized {
		t.Fatalf("relay with the revoked token: %d", code)
	}
	if out, errs, rc := token("list"); rc != 0 || !regexp.MustCompile(`(?m)^ngo\s+partner\s+\S+\s+revoked\s+yes$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^relay-only\s+partner\s+\S+\s+active\s+NO$`).MatchString(out) || !strings.Contains(errs, `does not list partners "fld", "relay-only", whose tokens are active`) {
		t.Fatalf("token list while running: %d %q %q", rc, out, errs)
	}
	if _, errs, rc := token("revoke", "--courier", "nobody"); rc != exitError || !strings.Contains(errs, `there is no courier token named "nobody"; nothing was revoked`) {
		t.Fatalf("revoking an unknown token while running: %d %q", rc, errs)
	}

	// Hostile or broken requests on the socket change nothing.
	for _, body := range []string{"", "{", `{"op":"add","role":"admin","name":"x"}`, `{"op":"drop"}`,
		`{"op":"list","extra":1}`, `{"op":"add","role":"partner","name":"` + strings.Repeat("n", 5000) + `"}`,
		`{"op":"add","role":"partner","name":"unlisted"}`, `{"op":"add","role":"partner","name":"x","unlisted":1}`,
		`{"op":"add","role":"courier","name":"x","unlisted":true}`, `{"op":"list","unlisted":true}`, `{"op":"revoke","role":"partner","name":"ngo","unlisted":true}`,
		`{"op":"revoke","role":"\u001b[2J","name":"ngo"}`, `{"op":"list","op":"list"}`, `{"OP":"list"}`} {
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
	if got := strings.Join(names, " "); !strings.Contains(got, "partner:ngo") || strings.Contains(got, "admin") || strings.Contains(got, ":x") ||
		strings.Contains(got, "partner:nog") || strings.Contains(got, "partner:unlisted") {
		t.Fatalf("tokens after the server stopped: %s", got)
	}
	if out, _, rc := token("list"); rc != 0 || !strings.Contains(out, "ngo") {
		t.Fatalf("token list on a stopped server: %d %q", rc, out)
	}
}

// While a real refuge-server process holds the database, publish goes
// through its admin socket: the new manifest is served at once. An old
// version, another root key than the server's, a manifest signed by
// another key, and hostile socket requests publish nothing.
func TestPublishWhileServerRuns(t *testing.T) {
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	_, stop := srv.StartProcess(t, clienttest.BuildServer(t))
	dir := t.TempDir()
	publish := func(root string, m, sig []byte) (string, int) {
		mf, sf := filepath.Join(dir, "manifest.json"), filepath.Join(dir, "manifest.json.minisig")
		os.WriteFile(mf, m, 0o600)
		os.WriteFile(sf, sig, 0o600)
		var out, errb bytes.Buffer
		rc := run([]string{"publish", "--data", srv.Dir, "--root-pub", root, mf, sf}, &out, &errb)
		return errb.String(), rc
	}
	served := func() []byte {
		resp, err := http.Get(srv.URL + "/v1/manifest")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	root := srv.Keys.RootPub.String()

	// Version 2 lists Setup's partner token "fld" (as version 1 does).
	srv.Keys.Partners = map[string]string{"fld": partnerKey(t)}
	m2, s2 := srv.Keys.Manifest(t, 2, "2099-12-31")
	if errs, rc := publish(root, m2, s2); rc != 0 || errs != "refuge-server: manifest published: version 2, valid through 2099-12-31 (UTC)\n" {
		t.Fatalf("publish while running: %d %q", rc, errs)
	}
	if !bytes.Equal(served(), m2) {
		t.Fatal("the running server does not serve the manifest just published")
	}
	if errs, rc := publish(root, m2, s2); rc != exitError || !strings.Contains(errs, "not higher") {
		t.Fatalf("publishing the same version again: %d %q", rc, errs)
	}
	other := clienttest.NewKeys(t)
	m3, s3 := other.Manifest(t, 3, "2099-12-31")
	if errs, rc := publish(other.RootPub.String(), m3, s3); rc != exitError || !strings.Contains(errs, "another root key") {
		t.Fatalf("publishing with another root key: %d %q", rc, errs)
	}
	if errs, rc := publish(root, m3, s3); rc != exitError || !strings.Contains(errs, "publish manifest") {
		t.Fatalf("publishing a manifest signed by another key: %d %q", rc, errs)
	}

	// Hostile or broken requests on the socket.
	b64 := base64.StdEncoding.EncodeToString
	good := `"manifest":"` + b64(m3) + `","signature":"` + b64(s3) + `"`
	for _, body := range []string{"", "{", `{"manifest":"!!"}`, `{` + good + `}`, `{` + good + `,"root":"` + root + `","x":1}`,
		`{` + good + `,"root":"` + root + `"} {}`, `{"manifest":"` + strings.Repeat("A", 200<<10) + `"}`} {
		c, err := net.Dial("unix", filepath.Join(srv.Dir, adminSocketName))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "POST /manifest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		reply, _ := io.ReadAll(c)
		c.Close()
		if !bytes.Contains(reply, []byte(`"error"`)) {
			t.Errorf("admin request %.60q: %s", body, reply)
		}
	}
	if !bytes.Equal(served(), m2) {
		t.Fatal("a refused publish changed the served manifest")
	}

	// One that expires soon is published, and the command says so; it
	// drops "fld", whose token is active, and the command warns of that.
	srv.Keys.Partners = nil
	m4, s4 := srv.Keys.Manifest(t, 4, time.Now().UTC().AddDate(0, 0, 3).Format(time.DateOnly))
	if errs, rc := publish(root, m4, s4); rc != 0 || !strings.Contains(errs, "; it expires in ") || !strings.Contains(errs, "sign the next one soon") ||
		!strings.Contains(errs, "\nrefuge-server: warning: the key manifest (version 4) no longer lists partner \"fld\" (version 2 did), whose token is still active") {
		t.Fatalf("publishing a manifest that expires in 3 days and drops a partner: %d %q", rc, errs)
	}

	stop()
	st, err := store.Open(srv.Dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, v, err := st.Manifest(t.Context()); err != nil || v != 4 {
		t.Fatalf("manifest version after the stop: %d, %v", v, err)
	}
}

// When another process holds the database but nothing answers on its admin
// socket (a server stopped hard, a second copy of the database in use),
// the token and publish commands fail with what to do next, print no
// token, and change nothing.
func TestAdminCommandsWhenTheSocketDoesNotAnswer(t *testing.T) {
	data := t.TempDir()
	held, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys := clienttest.NewKeys(t)
	m, sig := keys.Manifest(t, 1, "2099-12-31")
	mf, sf := filepath.Join(t.TempDir(), "manifest.json"), filepath.Join(t.TempDir(), "manifest.json.minisig")
	if err := os.WriteFile(mf, m, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf, sig, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		hint string
	}{
		{[]string{"token", "add", "--partner", "ngo", "--data", data}, "stop the server and run the command again"},
		{[]string{"publish", "--data", data, "--root-pub", keys.RootPub.String(), mf, sf}, "or PUT the manifest with a courier token"},
	} {
		var out, errb bytes.Buffer
		rc := run(c.args, &out, &errb)
		if rc != exitError || out.Len() != 0 || !strings.Contains(errb.String(), "does not answer") || !strings.Contains(errb.String(), c.hint) {
			t.Errorf("%s with the database held: %d %q %q", c.args[0], rc, out.String(), errb.String())
		}
	}
	held.Close()

	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if toks, err := st.Tokens(t.Context()); err != nil || len(toks) != 0 {
		t.Fatalf("tokens after the refused command: %v, %v", toks, err)
	}
	if _, _, v, err := st.Manifest(t.Context()); err == nil || v != 0 {
		t.Fatalf("a manifest was stored: version %d", v)
	}
}

// FuzzAdminRequest: what the admin socket reads from a request body
// (decodeAdmin into a token or a publish request) never panics, is never
// longer than the socket's limit for it, and is what its own client would
// send: encoded again and read back, it is the same request.
func FuzzAdminRequest(f *testing.F) {
	keys := clienttest.NewKeys(f)
	m, sig := keys.Manifest(f, 1, "2099-12-31")
	root := keys.RootPub.String()
	b64 := base64.StdEncoding.EncodeToString
	for _, s := range []string{
		`{"op":"add","role":"partner","name":"ngo"}`, `{"op":"list"}`, `{"op":"revoke","role":"courier","name":"night-desk"}`,
		`{"op":"add","role":"admin","name":"x"}`, `{"op":"drop"}`, `{"op":"list","extra":1}`, `{"op":"list"} {}`, `{"OP":"list"}`,
		`{"op":"add","role":"partner","name":"\u001b[2J"}`, `{"op":"add","role":"partner","name":"relay-only","unlisted":true}`,
		`{"op":"list","unlisted":true}`, `{"op":"add","role":"partner","name":"x","unlisted":1}`, `{"op":null}`, `{"op":1}`, "", "{", `[]`, strings.Repeat("[", 10000),
		`{"op":"reissue","role":"partner","name":"ngo"}`, `{"op":"reissue","role":"courier","name":"night-desk"}`, `{"op":"reissue","role":"partner","name":"ngo","unlisted":true}`,
		`{"op":"reissue","role":"partner","name":"ngo","token":"00"}`, `{"op":"reissue","role":"partner","name":"\u202e"}`,
		`{"manifest":"` + b64(m) + `","signature":"` + b64(sig) + `","root":"` + root + `"}`,
		`{"manifest":"!!"}`, `{"root":"RWQ"}`, `{"root":null}`, `{"root":"` + root + `x"}`, `{"manifest":"` + b64(m) + `"} x`,
		`{"op":"list","op":"list"}`, `{"op":"add","role":"partner","name":"ngo","name":"fld"}`, `{"Op":"list"}`,
		`{"op":"add","role":"partner","NAME":"ngo"}`, `{"op":"add","role":"partner","name":"ngo","unlisted":true,"Unlisted":false}`,
		`{"\u006fp":"list"}`, `{"op":"list"}` + "\n\n", `{"op":"list"}` + "\x00",
		`{"manifest":"` + b64(m) + `","signature":"` + b64(sig) + `","root":"` + root + `","manifest":"` + b64(m) + `"}`,
		`{"manifest":"` + b64(m) + `","signature":"` + b64(sig) + `","Root":"` + root + `"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var tr tokenRequest
		if decodeTest(t, maxAdminRequest, body, &tr, tokenRequestFields...) {
			checkStrict(t, body, tokenRequestFields)
			var again tokenRequest
			if !decodeTest(t, maxAdminRequest, mustMarshal(t, tr), &again, tokenRequestFields...) || again != tr {
				t.Fatalf("token request %+v reads back as %+v", tr, again)
			}
		}
		var pr publishRequest
		if decodeTest(t, maxPublishRequest, body, &pr, publishRequestFields...) {
			checkStrict(t, body, publishRequestFields)
			if pr.Root.IsZero() {
				return // no key: doPublish refuses it, and it cannot be encoded
			}
			var again publishRequest
			if !decodeTest(t, maxPublishRequest, mustMarshal(t, pr), &again, publishRequestFields...) ||
				!bytes.Equal(again.Manifest, pr.Manifest) || !bytes.Equal(again.Signature, pr.Signature) || !again.Root.Equal(pr.Root) {
				t.Fatalf("publish request reads back as another")
			}
		}
	})
}

// TestAdminRequestStrict: the admin socket reads its requests as strictly
// as the other JSON that crosses a trust boundary (internal/strictjson).
// Before, encoding/json took a field named twice (the last one won), a
// field name in another letter case ({"OP":"revoke"}, "Name"), so that one
// request could be read one way by the socket and another by a check
// made on its bytes. Each hostile body is refused; the well-formed ones
// are read as written. The field lists are the structs' own JSON names.
func TestAdminRequestStrict(t *testing.T) {
	keys := clienttest.NewKeys(t)
	m, sig := keys.Manifest(t, 1, "2099-12-31")
	b64 := base64.StdEncoding.EncodeToString
	pub := `"manifest":"` + b64(m) + `","signature":"` + b64(sig) + `","root":"` + keys.RootPub.String() + `"`
	for _, tc := range []struct {
		desc    string
		publish bool // a publish request, else a token request
		body    string
		ok      bool
	}{
		{"token request", false, `{"op":"add","role":"partner","name":"ngo","unlisted":true}`, true},
		{"list", false, `{"op":"list"}`, true},
		{"field name written with an escape", false, `{"\u006fp":"list"}`, true},
		{"white space around", false, " \n{\"op\":\"list\"}\n ", true},
		{"publish request", true, `{` + pub + `}`, true},
		{"op twice", false, `{"op":"list","op":"revoke"}`, false},
		{"op twice, the same", false, `{"op":"list","op":"list"}`, false},
		{"name twice", false, `{"op":"revoke","role":"partner","name":"x","name":"ngo"}`, false},
		{"role twice", false, `{"op":"revoke","role":"partner","role":"courier","name":"ngo"}`, false},
		{"unlisted twice", false, `{"op":"add","role":"partner","name":"x","unlisted":false,"unlisted":true}`, false},
		{"OP", false, `{"OP":"list"}`, false},
		{"Op", false, `{"Op":"list"}`, false},
		{"Name beside name", false, `{"op":"revoke","role":"partner","name":"x","Name":"ngo"}`, false},
		{"ROLE", false, `{"op":"revoke","ROLE":"partner","name":"ngo"}`, false},
		{"Unlisted", false, `{"op":"add","role":"partner","name":"x","Unlisted":true}`, false},
		{"long s (U+017F), which encoding/json folds to s", false, `{"op":"add","role":"partner","name":"x","unli\u017fted":true}`, false},
		{"unknown field", false, `{"op":"list","token":"00"}`, false},
		{"a second object", false, `{"op":"list"}{"op":"revoke"}`, false},
		{"data after the object", false, `{"op":"list"} x`, false},
		{"NUL after the object", false, `{"op":"list"}` + "\x00", false},
		{"an array", false, `[{"op":"list"}]`, false},
		{"a string", false, `"list"`, false},
		{"null, which encoding/json reads into a struct as nothing", false, `null`, false},
		{"null for a publish request", true, ` null `, false},
		{"empty", false, ``, false},
		{"over the limit", false, `{"op":"add","role":"partner","name":"` + strings.Repeat("n", maxAdminRequest) + `"}`, false},
		{"manifest twice", true, `{` + pub + `,"manifest":"` + b64(m) + `"}`, false},
		{"root twice", true, `{` + pub + `,"root":"` + keys.RootPub.String() + `"}`, false},
		{"Manifest", true, `{"Manifest":"` + b64(m) + `","signature":"` + b64(sig) + `","root":"` + keys.RootPub.String() + `"}`, false},
		{"SIGNATURE beside signature", true, `{` + pub + `,"SIGNATURE":"` + b64(sig) + `"}`, false},
		{"long s in signature", true, `{"manifest":"` + b64(m) + `","\u017fignature":"` + b64(sig) + `","root":"` + keys.RootPub.String() + `"}`, false},
		{"a token request's field", true, `{` + pub + `,"op":"list"}`, false},
		{"data after the publish request", true, `{` + pub + `} {}`, false},
	} {
		var ok bool
		if tc.publish {
			ok = decodeTest(t, maxPublishRequest, tc.body, new(publishRequest), publishRequestFields...)
		} else {
			var req tokenRequest
			ok = decodeTest(t, maxAdminRequest, tc.body, &req, tokenRequestFields...)
		}
		if ok != tc.ok {
			t.Errorf("%s: accepted %v, want %v", tc.desc, ok, tc.ok)
		}
	}
	for _, c := range []struct {
		v      any
		fields []string
	}{{tokenRequest{}, tokenRequestFields}, {publishRequest{}, publishRequestFields}} {
		var tags []string
		rt := reflect.TypeOf(c.v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			tags = append(tags, name)
		}
		if !slices.Equal(tags, c.fields) {
			t.Errorf("%s's JSON names are %q, the socket takes %q", rt.Name(), tags, c.fields)
		}
	}
}

// checkStrict fails t unless body, a request the socket accepted, is one
// JSON object that names each of its fields once, each exactly as one of
// fields spells it.
func checkStrict(t *testing.T, body string, fields []string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("accepted %q, which is not an object", body)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			t.Fatalf("accepted %q, whose field names do not read", body)
		}
		if seen[key] || !slices.Contains(fields, key) {
			t.Fatalf("accepted %q, which names %q twice or not as %q does", body, key, fields)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("accepted %q, whose values do not read", body)
		}
	}
}

// decodeTest runs decodeAdmin on body as the admin socket's handler does,
// and fails t if it accepts more than limit bytes.
func decodeTest(t *testing.T, limit int64, body string, v any, fields ...string) bool {
	r := httptest.NewRequest("POST", "/token", strings.NewReader(body))
	ok := decodeAdmin(httptest.NewRecorder(), r, limit, v, fields...)
	if ok && int64(len(body)) > limit {
		t.Fatalf("accepted a %d-byte request, over the %d-byte limit", len(body), limit)
	}
	return ok
}

func mustMarshal(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("cannot encode an accepted request: %v", err)
	}
	return string(b)
}
