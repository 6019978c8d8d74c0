package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"refuge/client/clienttest"
)

// dialUnixEnv makes the test binary a helper that GETs the manifest over
// the Unix socket it names and prints the status line or the error.
const dialUnixEnv = "REFUGE_TEST_DIAL_UNIX"

func dialUnix(sock string) {
	c, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Println(err)
		os.Exit(0)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /v1/manifest HTTP/1.1\r\nHost: refuge\r\nConnection: close\r\n\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(line)
	os.Exit(0)
}

// One server for both audiences: TLS on TCP for partners and couriers, and
// a plain Unix socket for the onion service, at once. HSTS goes out over
// TLS only.
func TestTLSAndOnionSocketTogether(t *testing.T) {
	dir := t.TempDir()
	cf, kf := selfSigned(t, dir, time.Now().AddDate(0, 0, 60))
	sock := filepath.Join(dir, "refuge.sock")
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	log := startServer(t, clienttest.BuildServer(t), "--data", srv.Dir, "--root-pub", srv.Keys.RootPub.String(),
		"--listen", "unix:"+sock, "--listen", "127.0.0.1:0", "--tls-cert", cf, "--tls-key", kf)
	m := regexp.MustCompile(`addr=(https://127\.0\.0\.1:\d+)`).FindStringSubmatch(log)
	if m == nil || !strings.Contains(log, "addr=unix:"+sock) {
		t.Fatalf("the server does not say it listens on both:\n%s", log)
	}
	get := func(c *http.Client, url string) *http.Response {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// The test checks what is served, not the self-signed chain.
	tlsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // #nosec G402 -- test: self-signed certificate
	if resp := get(tlsClient, m[1]+"/v1/manifest"); resp.StatusCode != 200 || resp.TLS == nil || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("over TLS: %d, TLS %v, HSTS %q", resp.StatusCode, resp.TLS != nil, resp.Header.Get("Strict-Transport-Security"))
	}
	unixClient := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	if resp := get(unixClient, "http://refuge/v1/manifest"); resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("over the socket: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
}

// A second address that cannot be had stops the server at start, and
// frees the first.
func TestSecondListenFails(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	sock := filepath.Join(t.TempDir(), "refuge.sock")
	keys := clienttest.NewKeys(t)
	var errb bytes.Buffer
	rc := run([]string{"--data", filepath.Join(t.TempDir(), "data"), "--root-pub", keys.RootPub.String(),
		"--listen", "unix:" + sock, "--listen", taken.Addr().String()}, io.Discard, &errb)
	if rc != exitError || !strings.Contains(errb.String(), "cannot listen on "+taken.Addr().String()) {
		t.Fatalf("exit %d\n%s", rc, errb.String())
	}
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close()
		t.Fatal("the first listener still accepts connections")
	}
}
