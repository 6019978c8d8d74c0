package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/crypto/signing"
	"refuge/server"
	"refuge/server/api"
	"refuge/server/store"
)

// clock is a test clock that can jump whole days ahead.
type clock struct{ days atomic.Int64 }

func (c *clock) now() time.Time {
	return time.Now().AddDate(0, 0, int(c.days.Load()))
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a real server on 127.0.0.1 over a real bbolt store in a
// temporary directory, with a published manifest of two officer
// recipients, an ack key, and a courier and a partner token.
type env struct {
	t        testing.TB
	dir      string
	st       *store.BoltStore
	srv      *httptest.Server
	api      *server.Server // the handler srv serves
	url      string
	clock    *clock
	log      *syncBuffer
	officers []*age.HybridIdentity
	root     minisign.PrivateKey
	rootPub  minisign.PublicKey
	rootKey  signing.PublicKey // rootPub, as the server takes it
	ack      minisign.PrivateKey
	ackPub   minisign.PublicKey
	courier  string
	partner  string
	version  uint64
}

type envOption func(*serverConfig)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: &clock{}, log: &syncBuffer{}}
	st, err := store.Open(e.dir, store.Options{Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	t.Cleanup(func() { st.Close() })
	e.rootPub, e.root = mustKey(t)
	rk, err := signing.ParsePublicKey(e.rootPub.String())
	if err != nil {
		t.Fatal(err)
	}
	e.rootKey = rk
	e.ackPub, e.ack = mustKey(t)
	for range 2 {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		e.officers = append(e.officers, id)
	}
	m, sig := e.signManifest(1, e.recipients(), e.ackPub, 30)
	if err := server.Publish(context.Background(), st, e.rootKey, m, sig, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.version = 1
	e.courier = e.addToken(store.RoleCourier, "desk")
	e.partner = e.addToken(store.RolePartner, "fld")
	e.serve(opts...)
	return e
}

// sibling is e with a second real server over the same store, configured
// by opts: what one server does, the other sees.
func (e *env) sibling(opts ...envOption) *env {
	e.t.Helper()
	s := *e
	s.serve(opts...)
	return &s
}

// serve starts e's HTTP server over e.st on 127.0.0.1.
func (e *env) serve(opts ...envOption) {
	t := e.t
	t.Helper()
	cfg := server.Config{
		Store: e.st, RootKey: e.rootKey, Now: e.clock.now,
		Log:                  slog.New(slog.NewTextHandler(e.log, nil)),
		UploadRequestsPerSec: 10000, UploadRequestBurst: 10000,
		RequestsPerSecond: 100000, RequestBurst: 100000,
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The test server is refuge-server's own http.Server, with its limits.
	e.api = srv
	e.srv = httptest.NewUnstartedServer(srv)
	e.srv.Config = server.HTTPServer(srv, nil)
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	e.url = e.srv.URL
}

func mustKey(t testing.TB) (minisign.PublicKey, minisign.PrivateKey) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func (e *env) recipients() []string {
	var rs []string
	for _, o := range e.officers {
		rs = append(rs, o.Recipient().String())
	}
	return rs
}

// signManifest builds and signs a manifest with the root key.
func (e *env) signManifest(version uint64, recipients []string, ack minisign.PublicKey, days int) ([]byte, []byte) {
	m := fmt.Sprintf(`{"format":"refuge-manifest-v1","version":%d,"expires":%q,"recipients":%s,"partners":[],"ack_key":%q}`,
		version, time.Now().UTC().AddDate(0, 0, days).Format("2006-01-02"), mustJSON(recipients), ack.String())
	return []byte(m), minisign.Sign(e.root, []byte(m))
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (e *env) addToken(role store.Role, name string) string {
	var b [32]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	if err := e.st.AddToken(context.Background(), store.Token{Name: name, Role: role, Verifier: sha256.Sum256(b[:]), Created: store.DayOf(time.Now())}); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// sealed returns an age file of n random plaintext bytes encrypted to rs.
func sealed(t testing.TB, n int, rs ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, rand.Reader, int64(n)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bundle is a valid submission body: age to both officers.
func (e *env) bundle(n int) []byte {
	return sealed(e.t, n, e.officers[0].Recipient(), e.officers[1].Recipient())
}

// submitter is a submission id and its access token, as a client derives
// them from a receipt phrase.
type submitter struct {
	id    string
	token string
}

func newSubmitter() submitter {
	var id [16]byte
	var tok [32]byte
	rand.Read(id[:])
	rand.Read(tok[:])
	return submitter{hex.EncodeToString(id[:]), hex.EncodeToString(tok[:])}
}

func (s submitter) verifier() string {
	b, _ := hex.DecodeString(s.token)
	v := sha256.Sum256(b)
	return hex.EncodeToString(v[:])
}

// meta encodes tus Upload-Metadata pairs.
func meta(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

func (s submitter) meta() string {
	return meta(api.MetaSubmissionID, s.id, api.MetaVerifier, s.verifier())
}

// do sends a request and returns the response with its body read.
func (e *env) do(method, path string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func tusHdr(kv ...string) map[string]string {
	h := map[string]string{"Tus-Resumable": "1.0.0"}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

// create makes an upload and returns its path.
func (e *env) create(length int, metadata, token string) string {
	e.t.Helper()
	h := tusHdr("Upload-Length", strconv.Itoa(length), "Upload-Metadata", metadata)
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	resp, body := e.do("POST", "/v1/uploads", nil, h)
	if resp.StatusCode != 201 {
		e.t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/v1/uploads/") {
		e.t.Fatalf("create: Location %q", loc)
	}
	return loc
}

func (e *env) patch(loc string, off int, chunk []byte, extra ...string) (*http.Response, []byte) {
	e.t.Helper()
	h := tusHdr(append([]string{"Upload-Offset", strconv.Itoa(off), "Content-Type", "application/offset+octet-stream"}, extra...)...)
	return e.do("PATCH", loc, chunk, h)
}

func (e *env) offset(loc string) int {
	e.t.Helper()
	resp, _ := e.do("HEAD", loc, nil, tusHdr())
	if resp.StatusCode != 200 {
		e.t.Fatalf("HEAD %d", resp.StatusCode)
	}
	n, err := strconv.Atoi(resp.Header.Get("Upload-Offset"))
	if err != nil {
		e.t.Fatalf("HEAD Upload-Offset %q", resp.Header.Get("Upload-Offset"))
	}
	return n
}

// submit uploads body in one PATCH as an anonymous submission.
func (e *env) submit(s submitter, body []byte) {
	e.t.Helper()
	loc := e.create(len(body), s.meta(), "")
	resp, b := e.patch(loc, 0, body)
	if resp.StatusCode != 204 {
		e.t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// apiError decodes an error body.
func apiError(t testing.TB, b []byte) *api.Error {
	t.Helper()
	var eb api.ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error == nil || eb.Error.Message == "" {
		t.Fatalf("error body is not an api error: %q", b)
	}
	return eb.Error
}

type serverConfig = server.Config

func sha1Sum(b []byte) []byte {
	s := sha1.Sum(b)
	return s[:]
}

func (e *env) today() store.Day { return store.DayOf(e.clock.now()) }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
