package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"refuge/server"
)

// writePair writes a self-signed certificate with serial number serial,
// and its key, to dir/cert.pem and dir/key.pem, and gives both files the
// modification time at (a renewal makes new files; setting the time
// keeps the test from depending on the file system's time granularity).
func writePair(t *testing.T, dir string, serial int64, at time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "refuge.test"},
		DNSNames:     []string{"refuge.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(90 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	writeAt(t, filepath.Join(dir, "cert.pem"), certPEM, at)
	writeAt(t, filepath.Join(dir, "key.pem"), keyPEM, at)
	return certPEM, keyPEM
}

func writeAt(t *testing.T, name string, data []byte, at time.Time) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, at, at); err != nil {
		t.Fatal(err)
	}
}

// serveTLS serves an empty handler over TLS with cert on 127.0.0.1 and
// returns a function that makes a new TLS connection and returns the
// serial number of the certificate the server presented.
func serveTLS(t *testing.T, cert *server.Certificate) func() int64 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := server.HTTPServer(http.NotFoundHandler(), &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cert.GetCertificate})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, hs, 5*time.Second, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return func() int64 {
		t.Helper()
		// The test checks which certificate is served, not its chain.
		c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true, ServerName: "refuge.test"}) // #nosec G402 -- test: self-signed certificates
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
}

// A renewal that replaces the certificate files is served from the next
// handshake, without a restart; a renewal that leaves a broken pair, or
// files missing for a moment, keeps the previous certificate and says so.
func TestCertificateRenewal(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	day := time.Now().Add(-48 * time.Hour)
	writePair(t, dir, 1, day)
	log := &syncBuffer{}
	cert, err := server.LoadCertificate(cf, kf, 0, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	dial := serveTLS(t, cert)
	if got := dial(); got != 1 {
		t.Fatalf("serial %d served, want 1", got)
	}

	writePair(t, dir, 2, day.Add(time.Hour))
	if got := dial(); got != 2 {
		t.Fatalf("after a renewal: serial %d served, want 2", got)
	}
	if !strings.Contains(log.String(), "serving a renewed TLS certificate") {
		t.Fatalf("the renewal was not logged: %s", log)
	}

	// Broken renewals: a key that does not match, an empty file, a
	// certificate where the key goes, garbage. Each keeps serial 2.
	c3, _ := writePair(t, dir, 3, day.Add(2*time.Hour))
	_, k4 := writePair(t, dir, 4, day.Add(3*time.Hour))
	broken := []struct {
		desc      string
		cert, key []byte
	}{
		{"key of another certificate", c3, k4},
		{"empty key", c3, nil},
		{"certificate in both", c3, c3},
		{"garbage", []byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"), []byte{0, 1, 2}},
	}
	for i, tc := range broken {
		at := day.Add(time.Duration(4+i) * time.Hour)
		writeAt(t, cf, tc.cert, at)
		writeAt(t, kf, tc.key, at)
		for range 2 { // the second handshake neither reloads nor logs again
			if got := dial(); got != 2 {
				t.Fatalf("%s: serial %d served, want the previous 2", tc.desc, got)
			}
		}
	}
	if n := strings.Count(log.String(), "do not load; still serving the previous certificate"); n != len(broken) {
		t.Fatalf("%d broken renewals logged, want %d: %s", n, len(broken), log)
	}

	// A file missing for a moment.
	if err := os.Remove(kf); err != nil {
		t.Fatal(err)
	}
	if got := dial(); got != 2 {
		t.Fatalf("key file missing: serial %d served, want the previous 2", got)
	}
	writePair(t, dir, 5, day.Add(10*time.Hour))
	if got := dial(); got != 5 {
		t.Fatalf("after a good renewal again: serial %d served, want 5", got)
	}
}

// The files are looked at no more than once per interval.
func TestCertificateCheckedOncePerInterval(t *testing.T) {
	dir := t.TempDir()
	day := time.Now().Add(-48 * time.Hour)
	writePair(t, dir, 1, day)
	cert, err := server.LoadCertificate(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), time.Hour, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dial := serveTLS(t, cert)
	writePair(t, dir, 2, day.Add(time.Hour))
	if got := dial(); got != 1 {
		t.Fatalf("within the interval: serial %d served, want 1", got)
	}
}

// Files that do not make a certificate are refused at start, with the
// reason.
func TestLoadCertificateRefuses(t *testing.T) {
	dir := t.TempDir()
	good, goodKey := writePair(t, dir, 1, time.Now())
	_, otherKey := writePair(t, t.TempDir(), 2, time.Now())
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	tests := []struct {
		desc      string
		cert, key []byte
		want      string
	}{
		{"swapped", goodKey, good, "switched"},
		{"key of another certificate", good, otherKey, "does not match"},
		{"empty", nil, nil, "failed to find"},
		{"garbage", []byte("hello"), []byte("world"), "failed to find"},
		{"truncated", good[:len(good)/2], goodKey, "failed to find"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			writeAt(t, cf, tc.cert, time.Now())
			writeAt(t, kf, tc.key, time.Now())
			_, err := server.LoadCertificate(cf, kf, 0, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadCertificate = %v, want an error with %q", err, tc.want)
			}
		})
	}
	if _, err := server.LoadCertificate(filepath.Join(dir, "missing.pem"), kf, 0, slog.New(slog.DiscardHandler)); !os.IsNotExist(err) {
		t.Fatalf("missing file: %v", err)
	}
}
