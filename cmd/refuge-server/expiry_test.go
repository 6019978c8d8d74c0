package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"refuge/client/clienttest"
	"refuge/server"
	"refuge/server/store"
)

// The notices about the key manifest, at fixed days around its expiry,
// on a real store: nothing until warnDays before, a warning from then,
// an error once clients refuse it, and a warning when there is none.
func TestManifestNotice(t *testing.T) {
	keys := clienttest.NewKeys(t)
	m, sig := keys.Manifest(t, 7, "2027-03-31")
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if level, msg := manifestNotice(t.Context(), st, time.Now()); level != slog.LevelWarn || !strings.Contains(msg, "no key manifest is published yet") {
		t.Fatalf("no manifest: %v %q", level, msg)
	}
	if err := st.PutManifest(t.Context(), m, sig, 7); err != nil {
		t.Fatal(err)
	}
	day := func(d string, hour int) time.Time {
		t, _ := time.Parse(time.DateOnly, d)
		return t.Add(time.Duration(hour) * time.Hour)
	}
	tests := []struct {
		now   time.Time
		level slog.Level
		want  string // "" for no notice
	}{
		{day("2027-01-01", 12), slog.LevelInfo, ""},
		{day("2027-03-16", 23), slog.LevelInfo, ""},
		{day("2027-03-17", 0), slog.LevelWarn, "expires at the end of 2027-03-31 (UTC), in 14 days"},
		{day("2027-03-30", 12), slog.LevelWarn, "2027-03-31 (UTC), tomorrow"},
		{day("2027-03-31", 23), slog.LevelWarn, "2027-03-31 (UTC), today"},
		{day("2027-04-01", 0), slog.LevelError, "the key manifest (version 7) expired at the end of 2027-03-31 (UTC): clients refuse it"},
		{day("2028-01-01", 0), slog.LevelError, "expired"},
	}
	for _, tc := range tests {
		level, msg := manifestNotice(t.Context(), st, tc.now)
		if tc.want == "" && msg != "" || !strings.Contains(msg, tc.want) || msg != "" && level != tc.level {
			t.Errorf("at %v: %v %q, want %v %q", tc.now, level, msg, tc.level, tc.want)
		}
	}
}

// A notice is logged once, and again only when it changes (each day, as
// its count of days does).
func TestNoticerSaysEachThingOnce(t *testing.T) {
	var buf bytes.Buffer
	n := &noticer{log: newLogger(&buf)}
	for _, msg := range []string{"a", "a", "b", "", "", "b"} {
		n.say(t.Context(), "manifest", slog.LevelWarn, msg)
	}
	n.say(t.Context(), "certificate", slog.LevelWarn, "b")
	if got := strings.Count(buf.String(), "msg="); got != 4 {
		t.Fatalf("%d notices logged, want 4 (a, b, b again after it went away, and b of another kind):\n%s", got, buf.String())
	}
}

// selfSigned writes a certificate valid until notAfter and its key into
// dir, and returns their paths.
func selfSigned(t *testing.T, dir string, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter, DNSNames: []string{"refuge.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func TestCertificateNotice(t *testing.T) {
	end := time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC)
	cf, kf := selfSigned(t, t.TempDir(), end)
	cert, err := server.LoadCertificate(cf, kf, time.Hour, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now  time.Time
		want string
	}{
		{end.AddDate(0, 0, -15), ""},
		{end.AddDate(0, 0, -14), "expires on 2027-03-31 (UTC), in 14 days"},
		{end.Add(-time.Hour), "today"},
		{end, "expired on 2027-03-31"},
	}
	for _, tc := range tests {
		if _, msg := certificateNotice(cert, tc.now); tc.want == "" && msg != "" || !strings.Contains(msg, tc.want) {
			t.Errorf("at %v: %q, want %q", tc.now, msg, tc.want)
		}
	}
	if _, msg := certificateNotice(nil, end); msg != "" {
		t.Errorf("without TLS: %q", msg)
	}
}

// The real server says at start what the operator must know: a manifest
// that expires soon (warning), one that has expired (error), or none.
func TestServerWarnsOfExpiryAtStart(t *testing.T) {
	bin := clienttest.BuildServer(t)
	keys := clienttest.NewKeys(t)
	soon := time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly)
	tests := []struct {
		desc    string
		expires string // "" for no manifest
		want    string
	}{
		{"soon", soon, `level=WARN msg="the key manifest (version 1) expires at the end of ` + soon},
		{"expired", "2020-06-30", `level=ERROR msg="the key manifest (version 1) expired at the end of 2020-06-30 (UTC): clients refuse it`},
		{"none", "", `level=WARN msg="no key manifest is published yet`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			if tc.expires != "" {
				// Put in the store directly: publish refuses an expired
				// manifest, but one published before it expired stays.
				m, sig := keys.Manifest(t, 1, tc.expires)
				dir = clienttest.Setup(t, keys, m, sig, 1).Dir
			}
			if log := startServer(t, bin, "--data", dir, "--root-pub", keys.RootPub.String(), "--listen", "127.0.0.1:0"); !strings.Contains(log, tc.want) {
				t.Fatalf("the server's log at start lacks %q:\n%s", tc.want, log)
			}
		})
	}
}

// startServer runs refuge-server with args until the test ends and
// returns what it logs up to and including the lines that say it listens
// (one for each --listen).
func startServer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	listens := max(1, strings.Count(strings.Join(args, "\x00")+"\x00", "--listen\x00"))
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "refuge-server listening") {
				if listens--; listens == 0 {
					break
				}
			}
		}
		got <- b.String()
		io.Copy(io.Discard, stderr)
	}()
	select {
	case log := <-got:
		return log
	case <-time.After(20 * time.Second):
		t.Fatal("refuge-server did not start listening")
		return ""
	}
}

// A certificate that does not load stops the server before it listens or
// touches the data directory, with what to give instead.
func TestBadCertificateAtStart(t *testing.T) {
	dir := t.TempDir()
	cf, kf := selfSigned(t, dir, time.Now().AddDate(0, 0, 60))
	data := filepath.Join(dir, "data")
	keys := clienttest.NewKeys(t)
	for _, tc := range []struct{ desc, cert, key string }{
		{"swapped", kf, cf},
		{"missing", filepath.Join(dir, "nope.pem"), kf},
		{"empty", os.DevNull, os.DevNull},
	} {
		var errb bytes.Buffer
		rc := run([]string{"--data", data, "--root-pub", keys.RootPub.String(), "--listen", "127.0.0.1:0", "--tls-cert", tc.cert, "--tls-key", tc.key}, io.Discard, &errb)
		if rc != exitError || !strings.Contains(errb.String(), "cannot load the TLS certificate") ||
			!strings.Contains(errb.String(), "fullchain.pem") || strings.Contains(errb.String(), "listening") {
			t.Errorf("%s: exit %d\n%s", tc.desc, rc, errb.String())
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("the data directory was made: %v", err)
	}
}

// A manifest published since the last check (as a courier's push is)
// that no longer lists a partner whose token is active is warned of once,
// by name, at the next check; revoked tokens, partners no manifest
// listed, the first check and a manifest that drops no one say nothing.
func TestNoticerWarnsOfDroppedPartner(t *testing.T) {
	keys := clienttest.NewKeys(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tk := range []store.Token{
		{Name: "fld", Role: store.RolePartner, Verifier: [32]byte{1}},
		{Name: "gone", Role: store.RolePartner, Verifier: [32]byte{2}},
		{Name: "old", Role: store.RolePartner, Verifier: [32]byte{3}},
		{Name: "relay", Role: store.RolePartner, Verifier: [32]byte{4}},
		{Name: "desk", Role: store.RoleCourier, Verifier: [32]byte{5}},
	} {
		tk.Created = store.DayOf(time.Now())
		if err := st.AddToken(t.Context(), tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RevokeToken(t.Context(), store.RolePartner, "old"); err != nil {
		t.Fatal(err)
	}
	publish := func(version uint64, partners ...string) {
		t.Helper()
		keys.Partners = map[string]string{}
		for _, p := range partners {
			keys.Partners[p] = partnerKey(t)
		}
		m, sig := keys.Manifest(t, version, "2099-12-31")
		if err := st.PutManifest(t.Context(), m, sig, version); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	n := &noticer{log: newLogger(&buf)}
	check := func() string {
		t.Helper()
		before := buf.Len()
		n.check(t.Context(), st, nil, time.Now())
		return buf.String()[before:]
	}
	if got := check(); !strings.Contains(got, "no key manifest is published yet") || strings.Count(got, "msg=") != 1 {
		t.Fatalf("no manifest yet: %q, want only the no-manifest notice", got)
	}
	publish(1, "fld", "gone", "old", "desk")
	if got := check(); strings.Contains(got, "no longer lists") {
		t.Fatalf("first manifest: %q", got)
	}
	publish(2, "fld")
	got := check()
	if strings.Count(got, "msg=") != 1 || !strings.Contains(got, "level=WARN") ||
		!strings.Contains(got, `the key manifest (version 2) no longer lists partner \"gone\" (version 1 did), whose token is still active`) {
		t.Fatalf("manifest dropping gone: %q", got)
	}
	for _, name := range []string{"old", "relay", "desk"} {
		if strings.Contains(got, `\"`+name+`\"`) {
			t.Errorf("warning names %q: %q", name, got)
		}
	}
	if got := check(); got != "" {
		t.Fatalf("the same manifest again: %q", got)
	}
	publish(3, "fld")
	if got := check(); got != "" {
		t.Fatalf("a manifest dropping no one more: %q", got)
	}
}
