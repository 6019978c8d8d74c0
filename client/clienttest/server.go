// Package clienttest runs what the client's tests talk to: a real
// refuge-server (in process, on 127.0.0.1, with a real bbolt store in a
// temporary folder), a TCP proxy that cuts connections, and a real SOCKS5
// proxy (microsocks). It is for tests only.
package clienttest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/crypto/signing"
	"refuge/server"
	"refuge/server/store"
)

// Keys are the demo keys of a test deployment.
type Keys struct {
	RootPub   minisign.PublicKey
	RootPriv  minisign.PrivateKey
	AckPub    minisign.PublicKey
	AckPriv   minisign.PrivateKey
	Officer   *age.HybridIdentity
	Recipient *age.HybridRecipient
	// Partners maps partner names to their minisign public keys ("RW…"),
	// listed in the manifests that Manifest signs. NewKeys lists "fld",
	// the name of Setup's partner token, under a fresh key (whose private
	// half no one keeps: a test that signs as a partner sets its own).
	Partners map[string]string
}

// NewKeys makes fresh demo keys.
func NewKeys(t testing.TB) *Keys {
	t.Helper()
	var k Keys
	var err error
	if k.RootPub, k.RootPriv, err = minisign.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	if k.AckPub, k.AckPriv, err = minisign.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	if k.Officer, err = age.GenerateHybridIdentity(); err != nil {
		t.Fatal(err)
	}
	k.Recipient = k.Officer.Recipient()
	partner, _, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k.Partners = map[string]string{"fld": partner.String()}
	return &k
}

// Manifest returns a manifest.json signed by the root key, and its
// signature, with the officer as the only recipient.
func (k *Keys) Manifest(t testing.TB, version uint64, expires string) (manifest, sig []byte) {
	t.Helper()
	ack := k.AckPub.String()
	partners := []map[string]string{}
	for name, key := range k.Partners {
		partners = append(partners, map[string]string{"name": name, "key": key})
	}
	m, err := json.Marshal(map[string]any{
		"format": "refuge-manifest-v1", "version": version, "expires": expires,
		"recipients": []string{k.Recipient.String()}, "partners": partners, "ack_key": ack,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, minisign.Sign(k.RootPriv, m)
}

// Server is a running refuge-server on 127.0.0.1: in process
// (StartServer), so that tests can look into its store and count its
// requests, or as a subprocess (StartProcess).
type Server struct {
	URL  string
	Addr string
	Dir  string
	// Store is the in-process server's store (nil for a subprocess).
	Store *store.BoltStore
	Keys  *Keys
	// Courier and Partner are bearer tokens (64 hex characters).
	Courier, Partner string
	// SubmissionsPage, set before Start, is the in-process server's page
	// of the courier's list (server.Config); 0 for the default.
	SubmissionsPage int
	// Now and StoreNow, set before Start, are the in-process server's
	// clock and its store's (server.Config.Now, store.Options.Now): a
	// test moves them on to let uploads expire. Nil is time.Now; a nil
	// StoreNow follows Now. The server never sweeps expired uploads by
	// itself (refuge-server does, hourly), so an expired upload stays in
	// the store until a test calls ExpireUploads.
	Now, StoreNow func() time.Time
	// Requests counts the HTTP requests the in-process server has seen:
	// by method, by "peer:" + the client's IP address, and "patch-bytes"
	// (the body bytes of PATCH requests that reached the handler), and by
	// "status:" + the response status code.
	Requests func() map[string]int

	relay *relay // in front of the subprocesses (StartProcess)
}

// Setup prepares a data directory with a manifest and a courier and a
// partner token (named "fld", as the manifests of NewKeys's Keys list
// the partner), without running a server. The manifest is put into the
// store as it is (no check), so a test can serve a forged, expired or
// old one; nil means a valid version 1 signed by keys.
func Setup(t testing.TB, keys *Keys, manifest, sig []byte, version uint64) *Server {
	t.Helper()
	if keys == nil {
		keys = NewKeys(t)
	}
	if manifest == nil {
		manifest, sig = keys.Manifest(t, 1, "2099-12-31")
		version = 1
	}
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutManifest(context.Background(), manifest, sig, version); err != nil {
		t.Fatal(err)
	}
	s := &Server{Dir: dir, Keys: keys}
	s.Courier = AddToken(t, st, store.RoleCourier, "courier")
	s.Partner = AddToken(t, st, store.RolePartner, "fld")
	return s
}

// StartServer runs an in-process server with a valid manifest (version
// 1) and a courier and a partner token. It stops when the test ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	return Setup(t, nil, nil, nil, 0).Start(t)
}

// Start runs the server of s in process.
func (s *Server) Start(t testing.TB) *Server {
	t.Helper()
	storeNow := s.StoreNow
	if storeNow == nil {
		storeNow = s.Now
	}
	st, err := store.Open(s.Dir, store.Options{Now: storeNow})
	if err != nil {
		t.Fatal(err)
	}
	s.Store = st
	root, err := signing.ParsePublicKey(s.Keys.RootPub.String())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, RootKey: root, SubmissionsPage: s.SubmissionsPage, Now: s.Now})
	if err != nil {
		t.Fatal(err)
	}
	counts := make(chan map[string]int, 1)
	counts <- map[string]int{}
	s.Requests = func() map[string]int {
		m := <-counts
		c := make(map[string]int, len(m))
		for k, v := range m {
			c[k] = v
		}
		counts <- m
		return c
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := <-counts
		m[r.Method]++
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			m["peer:"+host]++
		}
		counts <- m
		if r.Method == http.MethodPatch {
			r.Body = &countingBody{ReadCloser: r.Body, add: func(n int) {
				m := <-counts
				m["patch-bytes"] += n
				counts <- m
			}}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		srv.ServeHTTP(sw, r)
		m = <-counts
		m["status:"+strconv.Itoa(sw.status)]++
		counts <- m
	}), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Close()
		st.Close()
	})
	s.Addr = ln.Addr().String()
	s.URL = "http://" + s.Addr
	return s
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type countingBody struct {
	io.ReadCloser
	add func(int)
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if n > 0 {
		c.add(n)
	}
	return n, err
}

// AddToken stores a new token for role and returns it as 64 hex characters.
func AddToken(t testing.TB, st store.Store, role store.Role, name string) string {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	v := sha256.Sum256(raw)
	if err := st.AddToken(context.Background(), store.Token{Name: name, Role: role, Verifier: v, Created: store.DayOf(time.Now())}); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(raw)
}

// Seal encrypts plaintext to the server's officer recipient, as a bundle
// would be (the server checks only the age header).
func (s *Server) Seal(t testing.TB, dst io.Writer, plaintext io.Reader) {
	t.Helper()
	w, err := age.Encrypt(dst, s.Keys.Recipient)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, plaintext); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
