package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// CertificateCheckEvery is how often, at most, a Certificate looks at its
// files for a renewal.
const CertificateCheckEvery = time.Minute

// Certificate is the TLS certificate that refuge-server serves, read from
// PEM files that a renewal (certbot, acme.sh, a deploy hook) replaces in
// place. The files are read at start and again when their modification
// time or size changes, looked at no more than once per `every`, during a
// TLS handshake: a renewed certificate is served without a restart, and
// a renewal that left a broken pair (a key that does not match, a file
// half written) is logged and the previous certificate kept.
type Certificate struct {
	certFile, keyFile string
	every             time.Duration
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string    // the files' modification times and sizes when cert was read
	checked time.Time // when the files were last looked at
}

// LoadCertificate reads the certificate chain certFile and its private key
// keyFile, and returns a Certificate that looks for a renewal at most once
// per every, logging what it finds to log.
func LoadCertificate(certFile, keyFile string, every time.Duration, log *slog.Logger) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile, every: every, log: log}
	stamp, err := c.filesStamp()
	if err != nil {
		return nil, err
	}
	cert, err := loadPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	c.cert, c.stamp, c.checked = cert, stamp, time.Now()
	return c, nil
}

// NotAfter is the last moment the served certificate is valid.
func (c *Certificate) NotAfter() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cert.Leaf.NotAfter
}

// GetCertificate is for tls.Config.GetCertificate.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < c.every {
		return c.cert, nil
	}
	c.checked = time.Now()
	stamp, err := c.filesStamp()
	if err != nil || stamp == c.stamp {
		// A file missing for a moment (a renewal renaming files into
		// place) is looked at again next time.
		return c.cert, nil
	}
	cert, err := loadPair(c.certFile, c.keyFile)
	if err != nil {
		// Not tried again until the files change once more.
		c.stamp = stamp
		c.log.Error("the TLS certificate files changed but do not load; still serving the previous certificate", "err", err)
		return c.cert, nil
	}
	c.cert, c.stamp = cert, stamp
	c.log.Info("serving a renewed TLS certificate", "valid_until", cert.Leaf.NotAfter.UTC().Format(time.DateOnly))
	return c.cert, nil
}

// filesStamp describes both files by modification time and size (through
// symbolic links, as certbot's live/ folder holds).
func (c *Certificate) filesStamp() (string, error) {
	var s string
	for _, name := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%d/%d ", fi.ModTime().UnixNano(), fi.Size())
	}
	return s, nil
}

func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	if cert.Leaf == nil { // set by LoadX509KeyPair since Go 1.23
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, err
		}
	}
	return &cert, nil
}
