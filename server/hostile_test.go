package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	stdjson "encoding/json" // hostileCases calls its header helper json
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/server"
	"refuge/server/store"
)

// snapshot is everything the store holds that a request could change.
type snapshot struct {
	subs     []store.Submission
	events   []store.Event
	manifest []byte
	sig      []byte
	version  uint64
	tokens   []store.Token
	uploads  map[string]store.Upload
}

func (e *env) snapshot(uploadIDs ...string) snapshot {
	e.t.Helper()
	ctx := context.Background()
	var s snapshot
	var err error
	if s.subs, err = e.st.Submissions(ctx); err != nil {
		e.t.Fatal(err)
	}
	if s.events, err = e.st.Events(ctx, 0, 100000); err != nil {
		e.t.Fatal(err)
	}
	if s.manifest, s.sig, s.version, err = e.st.Manifest(ctx); err != nil {
		e.t.Fatal(err)
	}
	if s.tokens, err = e.st.Tokens(ctx); err != nil {
		e.t.Fatal(err)
	}
	s.uploads = map[string]store.Upload{}
	for _, id := range uploadIDs {
		u, err := e.st.Upload(ctx, id)
		if err != nil {
			e.t.Fatalf("fixture upload: %v", err)
		}
		s.uploads[id] = u
	}
	return s
}

// diff names the parts of two snapshots that differ.
func (s snapshot) diff(o snapshot) string {
	var d []string
	for _, c := range []struct {
		name string
		a, b any
	}{{"submissions", s.subs, o.subs}, {"events", s.events, o.events}, {"manifest", s.manifest, o.manifest},
		{"signature", s.sig, o.sig}, {"version", s.version, o.version}, {"tokens", s.tokens, o.tokens}, {"uploads", s.uploads, o.uploads}} {
		if !reflect.DeepEqual(c.a, c.b) {
			d = append(d, fmt.Sprintf("%s: %+v -> %+v", c.name, c.a, c.b))
		}
	}
	return strings.Join(d, "; ")
}

// raw sends request bytes over a new connection and reads one response.
func (e *env) raw(req string) (*http.Response, []byte) {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		e.t.Fatalf("raw request: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// unread sends request headers that announce a body (a Content-Length,
// or chunked) and then sends nothing. The answer must arrive, and the
// server must close the connection, before a deadline far below any of
// its time-outs for bodies: a request whose body the server does not read
// may not hold a connection.
func (e *env) unread(req string) (*http.Response, []byte) {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		e.t.Fatal(err)
	}
	if _, err := io.WriteString(c, req); err != nil {
		e.t.Fatal(err)
	}
	method, _, _ := strings.Cut(req, " ")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		e.t.Fatalf("no answer while the body was not sent: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("reading the answer: %v", err)
	}
	resp.Body.Close()
	if !resp.Close {
		e.t.Error("the answer does not say Connection: close")
	}
	if n, err := br.Read(make([]byte, 1)); err != io.EOF {
		e.t.Fatalf("the server kept the connection open (read %d bytes, %v)", n, err)
	}
	return resp, b
}

// unanswered sends two requests on one connection and reads the answer
// to the first; the server must then close the connection without
// reading the second.
func (e *env) unanswered(first, second string) (*http.Response, []byte) {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		e.t.Fatal(err)
	}
	if _, err := io.WriteString(c, first+second); err != nil {
		e.t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		e.t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n, err := br.Read(make([]byte, 1)); err != io.EOF {
		e.t.Fatalf("the server went on after the first request (read %d bytes, %v)", n, err)
	}
	return resp, b
}

// doAdd is do with each header of add added after hdr: a header given
// twice.
func (e *env) doAdd(method, path string, body []byte, hdr map[string]string, add []string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(add); i += 2 {
		req.Header.Add(add[i], add[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// fixtures of the hostile table.
type fixtures struct {
	sub       submitter // a complete submission
	subSum    [32]byte
	up        string // path of an upload in progress at offset 1000
	upID      string
	upBody    []byte
	revoked   string // a revoked partner token
	otherKey  minisign.PrivateKey
	x25519    *age.X25519Identity
	newUpload func(n int) string // a fresh anonymous upload of length n
}

func (e *env) signAck(key minisign.PrivateKey, statement string) string {
	return mustJSON(map[string]string{"statement": statement, "signature": string(minisign.Sign(key, []byte(statement)))})
}

// twice returns the JSON object body with its field name repeated at the
// end, with the same value: a request the standard decoder takes as sound.
func twice(body, name string) string {
	var fields map[string]any
	if err := stdjson.Unmarshal([]byte(body), &fields); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(body, "}") + `,"` + name + `":` + mustJSON(fields[name]) + "}"
}

func manifestPut(m, sig []byte) string {
	return mustJSON(map[string]string{"manifest": string(m), "signature": string(sig)})
}

type hostileCase struct {
	name   string
	method string
	path   string // "{up}" and "{sub}" are replaced
	hdr    map[string]string
	add    []string // headers added after hdr, as name, value pairs: a header twice
	body   []byte
	run    func(e *env, f *fixtures) (*http.Response, []byte) // instead of method/path
	status int
	code   string
	plain  bool // net/http itself answers (no JSON body possible)

	quotesKeyID bool // the message names the key that signed (16 hex digits), as the request says

	newUpload int  // before the snapshot, create an upload of this length for "{new}"
	reply     bool // make that upload a courier's reply to the fixture submission
}

func replyCase(c hostileCase) hostileCase { c.reply = true; return c }

// diskFull configures a server whose disk never has room: it keeps more
// free space than any disk has.
func diskFull(c *serverConfig) { c.MinFreeBytes = 1 << 62 }

// shortStall configures a server that cuts a body after 300 ms without a
// byte, so that the slow-body cases end soon. Only they run on it: on a
// busy machine a sound request, or the PATCH that holds an upload in
// "concurrent PATCH to one upload" while the other is refused, can pause
// that long.
func shortStall(c *serverConfig) { c.BodyStall = 300 * time.Millisecond }

func hostileCases(e *env, f *fixtures) []hostileCase {
	tus := func(kv ...string) map[string]string { return tusHdr(kv...) }
	withAuth := func(h map[string]string, tok string) map[string]string {
		h["Authorization"] = "Bearer " + tok
		return h
	}
	create := func(kv ...string) map[string]string {
		return tus(append([]string{"Upload-Length", "1000"}, kv...)...)
	}
	patch := func(off string, kv ...string) map[string]string {
		return tus(append([]string{"Upload-Offset", off, "Content-Type", "application/offset+octet-stream"}, kv...)...)
	}
	s2 := newSubmitter()
	json := func(tok string) map[string]string {
		h := bearer(tok)
		h["Content-Type"] = "application/json"
		return h
	}
	ack := func(id string, sum [32]byte) string { return string(server.Statement(id, sum)) }
	unknown := newSubmitter()
	wrongSum := sha256.Sum256([]byte("not the ciphertext"))
	hexSum := hex.EncodeToString(f.subSum[:])
	complete := func(body []byte) hostileCase {
		return hostileCase{method: "PATCH", path: "{new}", hdr: patch("0"), body: body, newUpload: len(body), status: 422, code: "unprocessable"}
	}
	named := func(name string, c hostileCase) hostileCase { c.name = name; return c }
	extra, _ := age.GenerateHybridIdentity()
	scrypt, _ := age.NewScryptRecipient("demo")
	scrypt.SetWorkFactor(10)
	m := func(version uint64, recipients []string, days int) string {
		mb, sig := e.signManifest(version, recipients, e.ackPub, days)
		return manifestPut(mb, sig)
	}
	forgedM := func() string {
		mb, _ := e.signManifest(9, e.recipients(), e.ackPub, 30)
		return manifestPut(mb, minisign.Sign(f.otherKey, mb))
	}

	return []hostileCase{
		// tus creation
		{name: "POST without Tus-Resumable", method: "POST", path: "/v1/uploads", hdr: map[string]string{"Upload-Length": "1000", "Upload-Metadata": f.sub.meta()}, status: 412, code: "precondition"},
		{name: "POST with tus 0.2.2", method: "POST", path: "/v1/uploads", hdr: map[string]string{"Tus-Resumable": "0.2.2", "Upload-Length": "1000"}, status: 412, code: "precondition"},
		{name: "POST without Upload-Length", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST negative length", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "-1", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST non-numeric length", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "12abc", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length with a sign", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "+12", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length as a float", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "1e3", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length overflowing int64", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "99999999999999999999999", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length above Tus-Max-Size", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", strconv.FormatInt(65<<30, 10), "Upload-Metadata", s2.meta()), status: 413, code: "too_large"},
		{name: "POST zero length", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "0", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST Upload-Defer-Length", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Defer-Length", "1", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST without submission-id", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", meta("verifier", s2.verifier())), status: 400, code: "bad_request"},
		{name: "POST submission-id with a path in it", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", meta("submission-id", "../../../etc/passwd", "verifier", s2.verifier())), status: 400, code: "bad_request"},
		{name: "POST metadata not base64", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", "submission-id !!!notbase64"), status: 400, code: "bad_request"},
		{name: "POST metadata repeated key", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+","+meta("submission-id", s2.id)), status: 400, code: "bad_request"},
		{name: "POST verifier too short", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", meta("submission-id", s2.id, "verifier", "abcd")), status: 400, code: "bad_request"},
		{name: "POST anonymous kind relay", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+","+meta("kind", "relay")), status: 401, code: "unauthorized"},
		{name: "POST anonymous kind reply", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", meta("kind", "reply", "submission-id", f.sub.id)), status: 401, code: "unauthorized"},
		{name: "POST partner kind anonymous", method: "POST", path: "/v1/uploads", hdr: withAuth(create("Upload-Metadata", s2.meta()), e.partner), status: 403, code: "forbidden"},
		{name: "POST partner kind reply", method: "POST", path: "/v1/uploads", hdr: withAuth(create("Upload-Metadata", meta("kind", "reply", "submission-id", f.sub.id)), e.partner), status: 403, code: "forbidden"},
		{name: "POST courier kind relay", method: "POST", path: "/v1/uploads", hdr: withAuth(create("Upload-Metadata", s2.meta()+","+meta("kind", "relay")), e.courier), status: 403, code: "forbidden"},
		{name: "POST unknown kind", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+","+meta("kind", "bogus")), status: 400, code: "bad_request"},
		{name: "POST kind with a NUL", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+","+meta("kind", "anonymous\x00")), status: 400, code: "bad_request"},
		{name: "POST kind with an escape sequence", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+","+meta("kind", "\x1b]0;title\x07")), status: 400, code: "bad_request"},
		{name: "POST submission-id not UTF-8", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", meta("submission-id", "\xff\xfe"+s2.id[2:], "verifier", s2.verifier())), status: 400, code: "bad_request"},
		{name: "POST metadata key not ASCII", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+",fichi\xc3\xa9r eA=="), status: 400, code: "bad_request"},
		{name: "POST metadata longer than 4 KiB", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+","+meta("filename", strings.Repeat("x", 3<<10))), status: 400, code: "bad_request"},
		{name: "POST with an unknown token", method: "POST", path: "/v1/uploads", hdr: withAuth(create("Upload-Metadata", s2.meta()), newSubmitter().token), status: 401, code: "unauthorized"},
		{name: "POST with a revoked partner token", method: "POST", path: "/v1/uploads", hdr: withAuth(create("Upload-Metadata", s2.meta()+","+meta("kind", "relay")), f.revoked), status: 401, code: "unauthorized"},
		{name: "POST with a malformed token", method: "POST", path: "/v1/uploads", hdr: map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": s2.meta(), "Authorization": "Bearer zz"}, status: 401, code: "unauthorized"},
		{name: "POST reusing a submission id", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", f.sub.meta()), status: 409, code: "conflict"},
		{name: "POST reply to an unknown submission", method: "POST", path: "/v1/uploads", hdr: withAuth(create("Upload-Metadata", meta("kind", "reply", "submission-id", unknown.id)), e.courier), status: 404, code: "not_found"},
		{name: "POST when the disk is too full for it", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.sibling(diskFull).do("POST", "/v1/uploads", nil, create("Upload-Metadata", s2.meta()))
		}, status: 507, code: "insufficient_storage"},
		{name: "POST with a body", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()), body: []byte("data"), status: 400, code: "bad_request"},
		{name: "PUT on the creation URL", method: "PUT", path: "/v1/uploads", hdr: tus(), status: 405, code: "method_not_allowed"},

		// tus PATCH
		{name: "PATCH wrong Content-Type", method: "PATCH", path: "{up}", hdr: tus("Upload-Offset", "1000", "Content-Type", "application/octet-stream"), body: []byte("x"), status: 415, code: "unsupported_type"},
		{name: "PATCH without Upload-Offset", method: "PATCH", path: "{up}", hdr: tus("Content-Type", "application/offset+octet-stream"), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH negative offset", method: "PATCH", path: "{up}", hdr: patch("-1"), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH hex offset", method: "PATCH", path: "{up}", hdr: patch("0x10"), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH offset overflowing int64", method: "PATCH", path: "{up}", hdr: patch("99999999999999999999999"), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH offset behind", method: "PATCH", path: "{up}", hdr: patch("0"), body: []byte("x"), status: 409, code: "conflict"},
		{name: "PATCH offset ahead", method: "PATCH", path: "{up}", hdr: patch("5000"), body: []byte("x"), status: 409, code: "conflict"},
		{name: "PATCH past Upload-Length", method: "PATCH", path: "{up}", hdr: patch("1000"), body: make([]byte, 20000), status: 413, code: "too_large"},
		{name: "PATCH past Upload-Length, chunked", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw(fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", f.up, 20000, strings.Repeat("a", 20000)))
		}, status: 413, code: "too_large"},
		{name: "PATCH when the disk is too full for it", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.sibling(diskFull).do("PATCH", f.up, f.upBody[1000:2000], patch("1000"))
		}, status: 507, code: "insufficient_storage"},
		{name: "PATCH checksum mismatch", method: "PATCH", path: "{up}", hdr: patch("1000", "Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(wrongSum[:])), body: f.upBody[1000:2000], status: 460, code: "checksum_mismatch"},
		{name: "PATCH crc32c mismatch", method: "PATCH", path: "{up}", hdr: patch("1000", "Upload-Checksum", "crc32c AAAAAA=="), body: f.upBody[1000:2000], status: 460, code: "checksum_mismatch"},
		{name: "PATCH crc32c digest too long", method: "PATCH", path: "{up}", hdr: patch("1000", "Upload-Checksum", "crc32c AAAAAAA="), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH checksum md5", method: "PATCH", path: "{up}", hdr: patch("1000", "Upload-Checksum", "md5 1B2M2Y8AsgTpgAmY7PhCfg=="), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH checksum not base64", method: "PATCH", path: "{up}", hdr: patch("1000", "Upload-Checksum", "sha1 ***"), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH checksum truncated digest", method: "PATCH", path: "{up}", hdr: patch("1000", "Upload-Checksum", "sha256 AAAA"), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH unknown upload", method: "PATCH", path: "/v1/uploads/" + unknown.id, hdr: patch("0"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "PATCH upper-case id", method: "PATCH", path: strings.ToUpper(f.up), hdr: patch("1000"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "PATCH short id", method: "PATCH", path: f.up[:len(f.up)-1], hdr: patch("1000"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "PATCH id with trailing slash", method: "PATCH", path: f.up + "/", hdr: patch("1000"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "HEAD unknown upload", method: "HEAD", path: "/v1/uploads/" + unknown.id, hdr: tus(), status: 404},
		{name: "DELETE unknown upload", method: "DELETE", path: "/v1/uploads/" + unknown.id, hdr: tus(), status: 404, code: "not_found"},
		{name: "DELETE without Tus-Resumable", method: "DELETE", path: "{up}", status: 412, code: "precondition"},
		{name: "concurrent PATCH to one upload", run: concurrentPatch, status: 409, code: "conflict"},
		{name: "slow body", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			c := rawPatch(e.t, e.sibling(shortStall).url, f.up, 1000, 100, nil, false)
			defer c.Close()
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				e.t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			return resp, b
		}, status: 408, code: "timeout"},

		{name: "slow JSON body", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.sibling(shortStall).raw("POST /v1/acks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.courier + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"statement\":")
		}, status: 408, code: "timeout"},

		// completion checks
		named("complete a non-age body", complete([]byte(strings.Repeat("not an age file\n", 100)))),
		named("complete an age header without stanzas", complete([]byte("age-encryption.org/v1\n--- AAAA\n"+strings.Repeat("x", 100)))),
		named("complete an X25519 (not post-quantum) age file", complete(sealed(e.t, 1000, f.x25519.Recipient(), f.x25519.Recipient()))),
		named("complete with one stanza of two", complete(sealed(e.t, 1000, e.officers[0].Recipient()))),
		named("complete with three stanzas of two", complete(sealed(e.t, 1000, e.officers[0].Recipient(), e.officers[1].Recipient(), extra.Recipient()))),
		named("complete a passphrase (scrypt) age file", complete(sealed(e.t, 1000, scrypt))),
		named("complete a truncated age header", complete(e.bundle(1000)[:300])),
		named("complete a reply that is not age", replyCase(complete([]byte(strings.Repeat("officer says hi\n", 50))))),
		named("complete an X25519 reply", replyCase(complete(sealed(e.t, 1000, f.x25519.Recipient())))),

		// paths
		{name: "double slash in upload path", method: "PATCH", path: "/v1/uploads//" + f.upID, hdr: patch("1000"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "leading double slash", method: "GET", path: "//v1/manifest", status: 404, code: "not_found"},
		{name: "encoded slash and dots as id", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("HEAD /v1/uploads/%2F..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\n\r\n")
		}, status: 404},
		{name: "dot-dot segments", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("GET /v1/submissions/../uploads/" + f.upID + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		}, status: 404, code: "not_found"},
		{name: "dot-dot in reply id", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("GET /v1/submissions/" + f.sub.id + "/replies/..%2F..%2Fblobs%2F" + f.sub.id + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f.sub.token + "\r\nConnection: close\r\n\r\n")
		}, status: 404, code: "not_found"},
		{name: "encoded id in ciphertext path", method: "GET", path: "/v1/submissions/%2e%2e/ciphertext", hdr: bearer(e.courier), status: 404, code: "not_found"},

		// headers
		{name: "oversized headers", method: "GET", path: "/v1/manifest", hdr: map[string]string{"X-Pad": strings.Repeat("a", 20<<10)}, status: 431, code: "header_too_large"},
		{name: "huge headers", method: "GET", path: "/v1/manifest", hdr: map[string]string{"X-Pad": strings.Repeat("a", 200<<10)}, status: 431, plain: true},

		// roles
		{name: "anonymous lists submissions", method: "GET", path: "/v1/submissions", status: 401, code: "unauthorized"},
		{name: "partner lists submissions", method: "GET", path: "/v1/submissions", hdr: bearer(e.partner), status: 403, code: "forbidden"},
		{name: "revoked token lists submissions", method: "GET", path: "/v1/submissions", hdr: bearer(f.revoked), status: 401, code: "unauthorized"},
		{name: "Basic auth lists submissions", method: "GET", path: "/v1/submissions", hdr: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))}, status: 401, code: "unauthorized"},
		{name: "submitter token lists submissions", method: "GET", path: "/v1/submissions", hdr: bearer(f.sub.token), status: 401, code: "unauthorized"},
		{name: "anonymous downloads ciphertext", method: "GET", path: "/v1/submissions/{sub}/ciphertext", status: 401, code: "unauthorized"},
		{name: "partner downloads ciphertext", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: bearer(e.partner), status: 403, code: "forbidden"},
		{name: "submitter downloads ciphertext", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: bearer(f.sub.token), status: 401, code: "unauthorized"},
		{name: "partner reads events", method: "GET", path: "/v1/events", hdr: bearer(e.partner), status: 403, code: "forbidden"},
		{name: "anonymous reads events", method: "GET", path: "/v1/events", status: 401, code: "unauthorized"},
		{name: "events from a negative seq", method: "GET", path: "/v1/events?from=-1", hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "submissions after no id", method: "GET", path: "/v1/submissions?after=x", hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "submissions after an id in capitals", method: "GET", path: "/v1/submissions?after=" + strings.ToUpper(f.sub.id), hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "submissions after an id too long", method: "GET", path: "/v1/submissions?after=" + f.sub.id + "0", hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "submissions after a path", method: "GET", path: "/v1/submissions?after=..%2F" + f.sub.id[3:], hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "submissions after, empty and twice", method: "GET", path: "/v1/submissions?after=&after=" + f.sub.id, hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "events from a seq overflowing", method: "GET", path: "/v1/events?from=99999999999999999999999", hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "courier token as submitter token", method: "GET", path: "/v1/submissions/{sub}/status", hdr: bearer(e.courier), status: 404, code: "not_found"},
		{name: "wrong submitter token", method: "GET", path: "/v1/submissions/{sub}/status", hdr: bearer(s2.token), status: 404, code: "not_found"},
		{name: "status without a token", method: "GET", path: "/v1/submissions/{sub}/status", status: 401, code: "unauthorized"},
		{name: "replies with a wrong token", method: "GET", path: "/v1/submissions/{sub}/replies", hdr: bearer(s2.token), status: 404, code: "not_found"},
		{name: "reply download with a wrong token", method: "GET", path: "/v1/submissions/{sub}/replies/" + unknown.id, hdr: bearer(s2.token), status: 404, code: "not_found"},

		// acknowledgements
		{name: "anonymous posts an ack", method: "POST", path: "/v1/acks", hdr: map[string]string{"Content-Type": "application/json"}, body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 401, code: "unauthorized"},
		{name: "partner posts an ack", method: "POST", path: "/v1/acks", hdr: json(e.partner), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 403, code: "forbidden"},
		{name: "ack with a wrong Content-Type", method: "POST", path: "/v1/acks", hdr: bearer(e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with charset=iso-8859-1", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with charset=utf-16", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset=utf-16"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with charset=utf8, not a registered name", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset=utf8"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with an empty charset", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset="}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with a second, different charset", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset=utf-8; charset=latin1"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with an unknown parameter", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; profile=x"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with charset=utf-8 and an unknown parameter", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset=utf-8; boundary=x"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with two media types", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json, text/plain"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type text/json", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "text/json; charset=utf-8"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type a JSON suffix type", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/problem+json"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with a parameter without a value", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "ack Content-Type with junk after the charset", method: "POST", path: "/v1/acks", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset=utf-8 x"}, e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 415, code: "unsupported_type"},
		{name: "manifest Content-Type with charset=iso-8859-1", method: "PUT", path: "/v1/manifest", hdr: withAuth(map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, e.courier), body: []byte(m(9, e.recipients(), 30)), status: 415, code: "unsupported_type"},
		{name: "ack body not JSON", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte("{{{"), status: 400, code: "bad_request"},
		{name: "ack body with an unknown field", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(`{"statement":"x","signature":"y","delete_all":true}`), status: 400, code: "bad_request"},
		{name: "ack body with trailing data", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum)) + "{}"), status: 400, code: "bad_request"},
		{name: "ack body nested 100000 deep", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(strings.Repeat("[", 100000)), status: 400, code: "bad_request"},
		{name: "ack body null (read into a struct as nothing)", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte("null"), status: 400, code: "bad_request"},
		{name: "ack body an array", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(`["statement","signature"]`), status: 400, code: "bad_request"},
		{name: "manifest body null", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(" null "), status: 400, code: "bad_request"},
		{name: "ack body not UTF-8", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte("{\"statement\":\"\xff\xfe\",\"signature\":\"\x00\"}"), status: 400, code: "bad_request"},
		{name: "ack body oversized", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(`{"statement":"` + strings.Repeat("a", 300<<10) + `"}`), status: 413, code: "too_large"},
		// encoding/json keeps the last of a field named twice and takes a
		// name in another letter case (ſ, the long s, folds to s): the
		// envelope is as strict as the statement inside it.
		{name: "ack body with a field twice", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(twice(e.signAck(e.ack, ack(f.sub.id, f.subSum)), "statement")), status: 400, code: "bad_request"},
		{name: "ack body with a field twice, once escaped", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(strings.Replace(twice(e.signAck(e.ack, ack(f.sub.id, f.subSum)), "signature"), `"signature"`, `"\u0073ignature"`, 1)), status: 400, code: "bad_request"},
		{name: "ack body with a field in upper case", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(strings.Replace(e.signAck(e.ack, ack(f.sub.id, f.subSum)), `"statement"`, `"Statement"`, 1)), status: 400, code: "bad_request"},
		{name: "ack body with a long s in a field name", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(strings.Replace(e.signAck(e.ack, ack(f.sub.id, f.subSum)), `"signature"`, `"ſignature"`, 1)), status: 400, code: "bad_request"},
		{name: "ack statement not JSON", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, "delete "+f.sub.id)), status: 400, code: "bad_request"},
		// A reply's manifest.json, signed by the acknowledgement key as
		// refuge-officer reply signs it, posted as an acknowledgement of the
		// submission it answers (what a courier token holder who reads the
		// reply could try): the signature verifies, but the bytes are no
		// statement.
		{name: "ack statement a signed reply manifest", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, fmt.Sprintf(`{"format":"refuge-bundle-v1","kind":"reply","created":"2026-11-30","submission_id":%q,"reply_recipient":"","partner":"","entries":[{"name":"note.txt","size":8,"sha256":%q}]}`, f.sub.id, hexSum))), status: 400, code: "bad_request"},
		{name: "ack statement not imported", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, fmt.Sprintf(`{"submission_id":%q,"sha256":%q,"imported":false}`, f.sub.id, hexSum))), status: 400, code: "bad_request"},
		{name: "ack statement with an extra field", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, fmt.Sprintf(`{"submission_id":%q,"sha256":%q,"imported":true,"all":true}`, f.sub.id, hexSum))), status: 400, code: "bad_request"},
		{name: "ack statement missing sha256", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, fmt.Sprintf(`{"submission_id":%q,"imported":true}`, f.sub.id))), status: 400, code: "bad_request"},
		{name: "ack statement upper-case hash", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, fmt.Sprintf(`{"submission_id":%q,"sha256":%q,"imported":true}`, f.sub.id, strings.ToUpper(hexSum)))), status: 400, code: "bad_request"},
		{name: "ack forged with another key", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(f.otherKey, ack(f.sub.id, f.subSum))), status: 422, code: "unprocessable"},
		{name: "ack signed by the root key, not the ack key", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.root, ack(f.sub.id, f.subSum))), status: 422, code: "unprocessable"},
		{name: "ack with a garbage signature", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(mustJSON(map[string]string{"statement": ack(f.sub.id, f.subSum), "signature": "untrusted comment: x\nAAAA\n"})), status: 422, code: "unprocessable"},
		{name: "ack signature over another statement", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(mustJSON(map[string]string{"statement": ack(f.sub.id, f.subSum), "signature": string(minisign.Sign(e.ack, []byte(ack(unknown.id, f.subSum))))})), status: 422, code: "unprocessable"},
		{name: "ack naming an unknown submission", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, ack(unknown.id, f.subSum))), status: 404, code: "not_found"},
		{name: "ack with the wrong ciphertext hash", method: "POST", path: "/v1/acks", hdr: json(e.courier), body: []byte(e.signAck(e.ack, ack(f.sub.id, wrongSum))), status: 409, code: "conflict"},

		// manifest
		{name: "manifest rollback", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(m(3, e.recipients(), 30)), status: 409, code: "conflict"},
		{name: "manifest same version", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(m(5, e.recipients(), 30)), status: 409, code: "conflict"},
		{name: "manifest forged signature", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(forgedM()), status: 422, code: "unprocessable", quotesKeyID: true},
		{name: "manifest expired", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(m(9, e.recipients(), -2)), status: 422, code: "unprocessable"},
		{name: "manifest with an X25519 recipient", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(m(9, []string{f.x25519.Recipient().String()}, 30)), status: 422, code: "unprocessable"},
		{name: "manifest without recipients", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(m(9, []string{}, 30)), status: 422, code: "unprocessable"},
		{name: "manifest by a partner", method: "PUT", path: "/v1/manifest", hdr: json(e.partner), body: []byte(m(9, e.recipients(), 30)), status: 403, code: "forbidden"},
		{name: "manifest by anonymous", method: "PUT", path: "/v1/manifest", hdr: map[string]string{"Content-Type": "application/json"}, body: []byte(m(9, e.recipients(), 30)), status: 401, code: "unauthorized"},
		{name: "manifest body with a field twice", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(twice(m(9, e.recipients(), 30), "manifest")), status: 400, code: "bad_request"},
		{name: "manifest body with a field in upper case", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(strings.Replace(m(9, e.recipients(), 30), `"manifest"`, `"MANIFEST"`, 1)), status: 400, code: "bad_request"},
		{name: "manifest body with a long s in a field name", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(strings.Replace(m(9, e.recipients(), 30), `"signature"`, `"ſignature"`, 1)), status: 400, code: "bad_request"},
		{name: "manifest body with an unknown field", method: "PUT", path: "/v1/manifest", hdr: json(e.courier), body: []byte(`{"manifest":"{}","signature":"","force":true}`), status: 400, code: "bad_request"},

		{name: "unknown endpoint", method: "GET", path: "/admin", status: 404, code: "not_found"},

		// bodies announced and never sent: the answer comes, the connection closes
		{name: "PATCH wrong Content-Type, a terabyte announced and never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: text/plain\r\nUpload-Offset: 1000\r\nContent-Length: 1099511627776\r\n\r\n")
		}, status: 415, code: "unsupported_type"},
		{name: "PATCH offset behind, body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 7\r\nContent-Length: 100\r\n\r\n")
		}, status: 409, code: "conflict"},
		{name: "PATCH unknown upload, chunked body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("PATCH /v1/uploads/" + unknown.id + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nTransfer-Encoding: chunked\r\n\r\n")
		}, status: 404, code: "not_found"},
		{name: "PATCH wrong Content-Type with Expect: 100-continue", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: text/plain\r\nUpload-Offset: 1000\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n")
		}, status: 415, code: "unsupported_type"},
		{name: "POST creation, body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("POST /v1/uploads HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 1000\r\nUpload-Metadata: " + s2.meta() + "\r\nContent-Length: 100\r\n\r\n")
		}, status: 400, code: "bad_request"},
		{name: "ack without a token, body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("POST /v1/acks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
		}, status: 401, code: "unauthorized"},
		{name: "manifest by a partner, body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("PUT /v1/manifest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.partner + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
		}, status: 403, code: "forbidden"},
		{name: "GET with a body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("GET /v1/manifest HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
		}, status: 400, code: "bad_request"},
		{name: "GET with a chunked body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("GET /v1/submissions/" + f.sub.id + "/ciphertext HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.courier + "\r\nTransfer-Encoding: chunked\r\n\r\n")
		}, status: 400, code: "bad_request"},
		{name: "DELETE with a body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("DELETE " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Length: 100\r\n\r\n")
		}, status: 400, code: "bad_request"},
		{name: "HEAD with a body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("HEAD " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Length: 100\r\n\r\n")
		}, status: 400},
		{name: "OPTIONS with a body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("OPTIONS /v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
		}, status: 400, code: "bad_request"},
		{name: "unknown endpoint, body never sent", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unread("POST /admin HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
		}, status: 404, code: "not_found"},

		// headers given twice: refused, not "the first one wins"
		{name: "POST with Tus-Resumable twice", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()), add: []string{"Tus-Resumable", "1.0.0"}, status: 400, code: "bad_request"},
		{name: "POST with Upload-Length twice", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()), add: []string{"Upload-Length", "1"}, status: 400, code: "bad_request"},
		{name: "POST with Upload-Length twice, the same", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()), add: []string{"Upload-Length", "1000"}, status: 400, code: "bad_request"},
		{name: "POST with Upload-Metadata twice", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()), add: []string{"Upload-Metadata", meta("submission-id", unknown.id, "verifier", unknown.verifier())}, status: 400, code: "bad_request"},
		{name: "POST with Upload-Defer-Length twice", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Defer-Length", "1", "Upload-Metadata", s2.meta()), add: []string{"Upload-Defer-Length", "1"}, status: 400, code: "bad_request"},
		{name: "PATCH with Upload-Offset twice", method: "PATCH", path: "{up}", hdr: patch("1000"), add: []string{"Upload-Offset", "0"}, body: f.upBody[1000:2000], status: 400, code: "bad_request"},
		{name: "PATCH with Content-Type twice", method: "PATCH", path: "{up}", hdr: patch("1000"), add: []string{"Content-Type", "application/offset+octet-stream"}, body: f.upBody[1000:2000], status: 400, code: "bad_request"},
		{name: "PATCH with Upload-Checksum twice", method: "PATCH", path: "{up}", hdr: patch("1000", "Upload-Checksum", "sha1 "+base64.StdEncoding.EncodeToString(sha1Sum(f.upBody[1000:2000]))), add: []string{"Upload-Checksum", "crc32c AAAAAA=="}, body: f.upBody[1000:2000], status: 400, code: "bad_request"},
		{name: "ack with Content-Type twice", method: "POST", path: "/v1/acks", hdr: json(e.courier), add: []string{"Content-Type", "text/plain"}, body: []byte(e.signAck(e.ack, ack(f.sub.id, f.subSum))), status: 400, code: "bad_request"},
		{name: "courier token given twice", method: "GET", path: "/v1/submissions", hdr: bearer(e.courier), add: []string{"Authorization", "Bearer " + e.courier}, status: 401, code: "unauthorized"},
		{name: "two tokens in one Authorization", method: "GET", path: "/v1/submissions", hdr: map[string]string{"Authorization": "Bearer " + e.courier + ", Bearer " + e.courier}, status: 401, code: "unauthorized"},
		{name: "Content-Length twice, different", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx")
		}, status: 400, plain: true},
		// RFC 9112 6.3: Transfer-Encoding overrides Content-Length, and the
		// connection closes after the answer. The chunked body here is
		// empty (an empty PATCH changes nothing); what a proxy going by the
		// Content-Length would send next, a DELETE, must never be read.
		{name: "Transfer-Encoding and Content-Length together, a DELETE after", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unanswered("PATCH "+f.up+" HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
				"DELETE "+f.up+" HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n\r\n")
		}, status: 204},
		{name: "chunked PATCH, a DELETE after", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.unanswered("PATCH "+f.up+" HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
				"DELETE "+f.up+" HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n\r\n")
		}, status: 204},
		{name: "Host twice", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("GET /v1/manifest HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")
		}, status: 400, plain: true},

		// method overrides
		{name: "POST with X-HTTP-Method-Override: PATCH", method: "POST", path: "{up}", hdr: patch("1000", "X-HTTP-Method-Override", "PATCH"), body: f.upBody[1000:2000], status: 400, code: "bad_request"},
		{name: "POST with X-HTTP-Method-Override: DELETE", method: "POST", path: "{up}", hdr: tus("X-HTTP-Method-Override", "DELETE"), status: 400, code: "bad_request"},
		{name: "PATCH with X-HTTP-Method-Override: PATCH", method: "PATCH", path: "{up}", hdr: patch("1000", "X-HTTP-Method-Override", "PATCH"), body: f.upBody[1000:2000], status: 400, code: "bad_request"},
		{name: "GET with X-HTTP-Method: DELETE", method: "GET", path: "{up}", hdr: tus("X-HTTP-Method", "DELETE"), status: 400, code: "bad_request"},
		{name: "POST with X-Method-Override: PUT", method: "POST", path: "/v1/manifest", hdr: json(e.courier), add: []string{"X-Method-Override", "PUT"}, body: []byte(m(9, e.recipients(), 30)), status: 400, code: "bad_request"},

		// methods
		{name: "TRACE", method: "TRACE", path: "/v1/manifest", status: 405, code: "method_not_allowed"},
		{name: "TRACE on an upload", method: "TRACE", path: "{up}", hdr: tus(), status: 405, code: "method_not_allowed"},
		{name: "CONNECT", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n")
		}, status: 405, code: "method_not_allowed"},
		{name: "OPTIONS *", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
		}, status: 404, code: "not_found"},
		{name: "method in lower case", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("patch " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nContent-Length: 1\r\n\r\nx")
		}, status: 405, code: "method_not_allowed"},
		{name: "PROPFIND", method: "PROPFIND", path: "/v1/uploads", hdr: tus(), status: 405, code: "method_not_allowed"},
		{name: "method with a character HTTP does not allow", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("GE(T /v1/manifest HTTP/1.1\r\nHost: x\r\n\r\n")
		}, status: 400, plain: true},

		// the protocol
		{name: "HTTP/1.1 without Host", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("GET /v1/manifest HTTP/1.1\r\n\r\n")
		}, status: 400, plain: true},
		{name: "HTTP/1.0 without Host lists submissions", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("GET /v1/submissions HTTP/1.0\r\n\r\n")
		}, status: 401, code: "unauthorized"},
		{name: "HTTP/2 preface on HTTP/1", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
		}, status: 405, code: "method_not_allowed"},
		{name: "space before a header's colon", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset : 1000\r\nContent-Length: 1\r\n\r\nx")
		}, status: 400, plain: true},

		// URLs
		{name: "URL of 20 KiB", method: "GET", path: "/v1/manifest?" + strings.Repeat("a", 20<<10), status: 431, code: "header_too_large"},
		{name: "URL past 64 KiB", method: "GET", path: "/v1/manifest?" + strings.Repeat("a", 70<<10), status: 431, plain: true},
		{name: "upload id of 20 KiB", method: "PATCH", path: "/v1/uploads/" + strings.Repeat("a", 20<<10), hdr: patch("1000"), body: []byte("x"), status: 431, code: "header_too_large"},
		{name: "%2e%2e segments after the uploads path", method: "PATCH", path: "/v1/uploads/%2e%2e/%2e%2e/v1/manifest", hdr: patch("0"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "%2e%2e segment before an upload id", method: "HEAD", path: "/v1/%2e%2e/v1/uploads/" + f.upID, hdr: tus(), status: 404},
		{name: "encoded slash before the id", method: "PATCH", path: "/v1/uploads%2F" + f.upID, hdr: patch("1000"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "encoded slash in a submission path", method: "GET", path: "/v1/submissions%2F" + f.sub.id + "%2Fciphertext", hdr: bearer(e.courier), status: 404, code: "not_found"},
		{name: "double slash inside the path", method: "POST", path: "/v1//uploads", hdr: create("Upload-Metadata", s2.meta()), status: 404, code: "not_found"},
		{name: "NUL after the id", method: "PATCH", path: f.up + "%00", hdr: patch("1000"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "parameter after the id", method: "PATCH", path: f.up + ";x=1", hdr: patch("1000"), body: []byte("x"), status: 404, code: "not_found"},
		{name: "backslashes for slashes", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("GET /v1\\submissions\\" + f.sub.id + "\\ciphertext HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.courier + "\r\n\r\n")
		}, status: 404, code: "not_found"},
		{name: "id in upper-case percent-encoding", method: "GET", path: "/v1/submissions/%" + strings.ToUpper(hex.EncodeToString([]byte(f.sub.id[:1]))) + f.sub.id[1:] + "/ciphertext", hdr: bearer(e.courier), status: 404, code: "not_found"},

		// Upload-Length and Upload-Offset, more shapes
		{name: "POST length with a space inside", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "1 000", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length in hex", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "0x3e8", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length in full-width digits", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "\uff11\uff10\uff10\uff10", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length as two values joined", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "1000, 1000", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length with an underscore", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "1_000", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length minus zero", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "-0", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length of 19 digits with leading zeros", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "0000000000000001000", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "POST length empty", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("POST /v1/uploads HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Length: \r\nUpload-Metadata: " + s2.meta() + "\r\n\r\n")
		}, status: 400, code: "bad_request"},
		{name: "POST length of int64's largest", method: "POST", path: "/v1/uploads", hdr: tus("Upload-Length", "9223372036854775807", "Upload-Metadata", s2.meta()), status: 400, code: "bad_request"},
		{name: "PATCH offset with a sign", method: "PATCH", path: "{up}", hdr: patch("+1000"), body: []byte("x"), status: 400, code: "bad_request"},
		{name: "PATCH offset as two values joined", method: "PATCH", path: "{up}", hdr: patch("1000,0"), body: []byte("x"), status: 400, code: "bad_request"},

		// Upload-Metadata, more shapes
		{name: "POST metadata with an empty pair", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+",,"), status: 400, code: "bad_request"},
		{name: "POST metadata key with a tab", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+",file\tname eA=="), status: 400, code: "bad_request"},
		{name: "POST metadata value without padding", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", strings.ReplaceAll(s2.meta(), "=", "")), status: 400, code: "bad_request"},
		{name: "POST metadata value in base64url", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+",filename "+base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe})), status: 400, code: "bad_request"},
		{name: "POST metadata key in another letter case", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", meta("Submission-Id", s2.id, "verifier", s2.verifier())), status: 400, code: "bad_request"},
		{name: "POST metadata value after two spaces", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", strings.Replace(s2.meta(), " ", "  ", 1)), status: 400, code: "bad_request"},
		{name: "POST metadata with only a file name of escapes", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", meta("filename", strings.Repeat("\x1b]0;x\x07\x1b[2J", 100))), status: 400, code: "bad_request"},
		{name: "POST metadata repeated key, another case", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta()+","+meta("kind", "relay", "kind", "anonymous")), status: 400, code: "bad_request"},

		// more protocol shapes
		{name: "POST Upload-Concat partial", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta(), "Upload-Concat", "partial"), status: 400, code: "bad_request"},
		{name: "POST Upload-Concat final", method: "POST", path: "/v1/uploads", hdr: create("Upload-Metadata", s2.meta(), "Upload-Concat", "final;"+f.up+" "+f.up), status: 400, code: "bad_request"},
		{name: "events with from twice", method: "GET", path: "/v1/events?from=0&from=99", hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "submissions with after twice", method: "GET", path: "/v1/submissions?after=" + f.sub.id + "&after=" + f.sub.id, hdr: bearer(e.courier), status: 400, code: "bad_request"},
		{name: "PATCH Content-Type with a parameter", method: "PATCH", path: "{up}", hdr: patch("1000", "Content-Type", "application/offset+octet-stream; charset=utf-8"), body: []byte("x"), status: 415, code: "unsupported_type"},
		{name: "PATCH Content-Type in capitals with a parameter", method: "PATCH", path: "{up}", hdr: patch("1000", "Content-Type", "Application/Offset+Octet-Stream; Charset=UTF-8"), body: []byte("x"), status: 415, code: "unsupported_type"},
		{name: "PATCH Content-Type with a quoted parameter", method: "PATCH", path: "{up}", hdr: patch("1000", "Content-Type", `application/offset+octet-stream; x="y"`), body: []byte("x"), status: 415, code: "unsupported_type"},
		{name: "PATCH Content-Type with two media types", method: "PATCH", path: "{up}", hdr: patch("1000", "Content-Type", "application/offset+octet-stream, application/octet-stream"), body: []byte("x"), status: 415, code: "unsupported_type"},
		{name: "PATCH Content-Type empty", method: "PATCH", path: "{up}", hdr: patch("1000", "Content-Type", ""), body: []byte("x"), status: 415, code: "unsupported_type"},
		{name: "Content-Length negative", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nContent-Length: -1\r\n\r\n")
		}, status: 400, plain: true},
		{name: "Content-Length with a sign", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nContent-Length: +1\r\n\r\nx")
		}, status: 400, plain: true},
		{name: "Transfer-Encoding gzip", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")
		}, status: 501, plain: true},
		{name: "NUL in a header value", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("PATCH " + f.up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\x00\r\nContent-Length: 1\r\n\r\nx")
		}, status: 400, plain: true},
		{name: "three thousand short headers", method: "GET", path: "/v1/manifest", hdr: func() map[string]string {
			h := map[string]string{}
			for i := range 3000 {
				h[fmt.Sprintf("X-%d", i)] = "a"
			}
			return h
		}(), status: 431, code: "header_too_large"},

		// downloads: one byte range or none
		{name: "download two ranges", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=0-1,2-3"}, status: 416, code: "range_not_satisfiable"},
		{name: "download two overlapping ranges", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=0-100,50-150"}, status: 416, code: "range_not_satisfiable"},
		{name: "download a thousand ranges", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=0-0" + strings.Repeat(",0-0", 999)}, status: 416, code: "range_not_satisfiable"},
		{name: "download with Range twice", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=0-1"}, add: []string{"Range", "bytes=2-3"}, status: 416, code: "range_not_satisfiable"},
		{name: "download range in another unit", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "items=0-1"}, status: 416, code: "range_not_satisfiable"},
		{name: "download range backwards", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=10-5"}, status: 416, code: "range_not_satisfiable"},
		{name: "download range past the end", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=999999-"}, status: 416, code: "range_not_satisfiable"},
		{name: "download empty suffix range", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=-0"}, status: 416, code: "range_not_satisfiable"},
		{name: "download range with a space", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes= 0-1"}, status: 416, code: "range_not_satisfiable"},
		{name: "download range with a sign", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=+0-1"}, status: 416, code: "range_not_satisfiable"},
		{name: "download range overflowing int64", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=0-99999999999999999999"}, status: 416, code: "range_not_satisfiable"},
		{name: "download range without a dash", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=5"}, status: 416, code: "range_not_satisfiable"},
		{name: "download range with a unit in capitals", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "BYTES=0-1"}, status: 416, code: "range_not_satisfiable"},
		{name: "download empty Range", run: func(e *env, f *fixtures) (*http.Response, []byte) {
			return e.raw("GET /v1/submissions/" + f.sub.id + "/ciphertext HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.courier + "\r\nRange: \r\nConnection: close\r\n\r\n")
		}, status: 416, code: "range_not_satisfiable"},
		{name: "download range with an If-Range", method: "GET", path: "/v1/submissions/{sub}/ciphertext", hdr: map[string]string{"Authorization": "Bearer " + e.courier, "Range": "bytes=0-1,5-6", "If-Range": "Thu, 01 Jan 1970 00:00:00 GMT"}, status: 416, code: "range_not_satisfiable"},
	}
}

// concurrentPatch sends two PATCHes to one upload at its offset, headers
// only, bodies never coming: one holds the upload and the other must be
// refused at once. Then both go and it waits until the upload is free.
func concurrentPatch(e *env, f *fixtures) (*http.Response, []byte) {
	type answer struct {
		resp *http.Response
		body []byte
	}
	answers := make(chan answer, 2)
	var conns []net.Conn
	for range 2 {
		c := rawPatch(e.t, e.url, f.up, 1000, 100, nil, false)
		conns = append(conns, c)
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				answers <- answer{}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			answers <- answer{resp, b}
		}()
	}
	a := <-answers
	for _, c := range conns {
		c.Close()
	}
	if a.resp == nil {
		e.t.Fatal("no answer to the concurrent PATCH")
	}
	if !strings.Contains(string(a.body), "another request") {
		e.t.Errorf("concurrent PATCH: %s", a.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, _ := e.patch(f.up, 1000, nil)
		if r.StatusCode == 204 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return a.resp, a.body
}

// echoes fails the test if an error message is long or repeats what the
// request sent: 12 bytes or more of a header value, a path segment or the
// body (a file name in Upload-Metadata, a token, a digest that did not
// match, an id) but for runs of lower-case words, which the server's own
// messages share with the protocol ("submission-id", "application/").
// Every message is short and fixed, but for numbers the server parsed.
func echoes(t *testing.T, msg string, tc hostileCase) {
	t.Helper()
	if len(msg) > 200 {
		t.Errorf("error message of %d bytes", len(msg))
	}
	if tc.quotesKeyID {
		return
	}
	words := func(w string) bool {
		return strings.Trim(w, "abcdefghijklmnopqrstuvwxyz -_/+.:") == ""
	}
	var sent []string
	for _, v := range tc.hdr {
		sent = append(sent, v)
	}
	for i := 1; i < len(tc.add); i += 2 {
		sent = append(sent, tc.add[i])
	}
	sent = append(sent, strings.Split(tc.path, "/")...)
	sent = append(sent, string(tc.body))
	for _, v := range sent {
		for i := 0; i+12 <= len(v); i++ {
			if w := v[i : i+12]; !words(w) && strings.Contains(msg, w) {
				t.Errorf("error message %q repeats %q of the request", msg, w)
				return
			}
		}
	}
}

func TestHostileRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := &fixtures{sub: newSubmitter()}
	body := e.bundle(4 << 10)
	e.submit(f.sub, body)
	f.subSum = sha256.Sum256(body)
	up := newSubmitter()
	f.upBody = e.bundle(10 << 10)
	f.up = e.create(len(f.upBody), up.meta(), "")
	f.upID = strings.TrimPrefix(f.up, "/v1/uploads/")
	if resp, b := e.patch(f.up, 0, f.upBody[:1000]); resp.StatusCode != 204 {
		t.Fatalf("fixture: %d %s", resp.StatusCode, b)
	}
	f.revoked = e.addToken(store.RolePartner, "gone")
	if err := e.st.RevokeToken(ctx, store.RolePartner, "gone"); err != nil {
		t.Fatal(err)
	}
	_, f.otherKey = mustKey(t)
	f.x25519, _ = age.GenerateX25519Identity()
	f.newUpload = func(n int) string { return e.create(n, newSubmitter().meta(), "") }
	// A legitimate manifest update to version 5, so rollbacks have room.
	mb, sig := e.signManifest(5, e.recipients(), e.ackPub, 30)
	if resp, b := e.do("PUT", "/v1/manifest", []byte(manifestPut(mb, sig)), map[string]string{"Authorization": "Bearer " + e.courier, "Content-Type": "application/json"}); resp.StatusCode != 200 {
		t.Fatalf("manifest v5: %d %s", resp.StatusCode, b)
	}

	cases := hostileCases(e, f)
	if len(cases) < 40 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	t.Logf("%d hostile requests", len(cases))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			newPath := ""
			if tc.newUpload > 0 && tc.reply {
				newPath = e.create(tc.newUpload, meta("kind", "reply", "submission-id", f.sub.id), e.courier)
			} else if tc.newUpload > 0 {
				newPath = f.newUpload(tc.newUpload)
			}
			before := e.snapshot(f.upID)
			var resp *http.Response
			var b []byte
			if tc.run != nil {
				resp, b = tc.run(e, f)
			} else {
				path := strings.NewReplacer("{up}", f.up, "{sub}", f.sub.id, "{new}", newPath).Replace(tc.path)
				if tc.add != nil {
					resp, b = e.doAdd(tc.method, path, tc.body, tc.hdr, tc.add)
				} else {
					resp, b = e.do(tc.method, path, tc.body, tc.hdr)
				}
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if tc.code != "" {
				got := apiError(t, b)
				if string(got.Code) != tc.code {
					t.Fatalf("code %q, want %q", got.Code, tc.code)
				}
				echoes(t, got.Message, tc)
			} else if resp.Request == nil || resp.Request.Method != "HEAD" {
				if !tc.plain && len(b) > 0 {
					apiError(t, b)
				}
			}
			if after := e.snapshot(f.upID); !reflect.DeepEqual(before, after) {
				t.Fatalf("the store changed: %s", before.diff(after))
			}
			if newPath != "" {
				if r, _ := e.do("HEAD", newPath, nil, tusHdr()); r.StatusCode != 404 {
					t.Fatalf("the rejected upload is still there: HEAD %d", r.StatusCode)
				}
			}
			if r, _ := e.do("GET", "/v1/manifest", nil, nil); r.StatusCode != 200 {
				t.Fatalf("server not answering after the request: %d", r.StatusCode)
			}
		})
	}
	e.t = t
	// Nothing hostile reached the log.
	if l := e.log.String(); l != "" {
		t.Errorf("server logged: %s", l)
	}
}

// TestTusResumableOnRefusals: answers on the tus routes carry
// Tus-Resumable, refusals before routing too.
func TestTusResumableOnRefusals(t *testing.T) {
	e := newEnv(t)
	up := e.create(1000, newSubmitter().meta(), "")
	for _, r := range []struct {
		method, path string
		hdr          map[string]string
		status       int
	}{
		{"POST", "/v1/uploads", map[string]string{"Tus-Resumable": "1.0.0", "X-HTTP-Method-Override": "PATCH"}, 400},
		{"PATCH", up, map[string]string{"Tus-Resumable": "1.0.0", "X-HTTP-Method": "PATCH"}, 400},
		{"TRACE", up, map[string]string{"Tus-Resumable": "1.0.0"}, 405},
		{"PATCH", up, map[string]string{"Content-Type": "text/plain"}, 412},
	} {
		resp, b := e.do(r.method, r.path, nil, r.hdr)
		if resp.StatusCode != r.status || resp.Header.Get("Tus-Resumable") != "1.0.0" {
			t.Errorf("%s %s: %d, Tus-Resumable %q: %s", r.method, r.path, resp.StatusCode, resp.Header.Get("Tus-Resumable"), b)
		}
	}
}

// TestSoundRequestsKeepConnection: the connection closes after requests
// whose body was not read, not after sound ones. Two chunks of an upload
// by PATCH with a Content-Length, a HEAD and a GET share one connection.
func TestSoundRequestsKeepConnection(t *testing.T) {
	e := newEnv(t)
	body := e.bundle(4 << 10)
	up := e.create(len(body), newSubmitter().meta(), "")
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for i, req := range []string{
		fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: 1000\r\n\r\n%s", up, body[:1000]),
		"HEAD " + up + " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n\r\n",
		fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 1000\r\nContent-Length: %d\r\n\r\n%s", up, len(body)-1000, body[1000:]),
		"GET /v1/manifest HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		method, _, _ := strings.Cut(req, " ")
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 || resp.Close {
			t.Fatalf("request %d: %d, close %v: %s", i, resp.StatusCode, resp.Close, b)
		}
	}
}

// Over HTTP/2 a body of unknown length is no reason to end the connection
// (there is no chunked encoding to be confused with a Content-Length):
// two chunks sent so share one connection.
func TestHTTP2UnknownLengthKeepsConnection(t *testing.T) {
	e := newEnv(t)
	srv, err := server.New(server.Config{Store: e.st, RootKey: e.rootKey})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	body := e.bundle(4 << 10)
	e.url = ts.URL
	e.srv = ts
	up := e.create(len(body), newSubmitter().meta(), "")
	reused := 0
	for i, part := range [][2]int{{0, 1000}, {1000, len(body)}} {
		req, err := http.NewRequest("PATCH", ts.URL+up, io.NopCloser(bytes.NewReader(body[part[0]:part[1]])))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", strconv.Itoa(part[0]))
		req.ContentLength = -1 // unknown: the server sees none
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(ci httptrace.GotConnInfo) {
				if ci.Reused {
					reused++
				}
			},
		}))
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 204 || resp.ProtoMajor != 2 {
			t.Fatalf("chunk %d: %d over HTTP/%d: %s", i, resp.StatusCode, resp.ProtoMajor, b)
		}
	}
	if reused != 2 {
		t.Fatalf("%d of 2 chunks reused a connection", reused)
	}
}
