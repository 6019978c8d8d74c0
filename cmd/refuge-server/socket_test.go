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
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
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

// An onion service in front: the Tor daemon runs as its own user, which
// reaches the server's socket by being in its group (the socket is 0660
// and takes the group of its setgid folder), as docs/operating.md sets it
// up. A user outside the group cannot connect.
func TestUnixSocketGroup(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("the test connects as user 65534 and so must run as root")
	}
	const group = 64999 // the group the Tor daemon and the server share
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(run, 0, group); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(run, 0o750|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(run, "refuge.sock")
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	log := startServer(t, clienttest.BuildServer(t), "--data", srv.Dir, "--root-pub", srv.Keys.RootPub.String(), "--listen", "unix:"+sock)
	if !strings.Contains(log, "addr=unix:"+sock) {
		t.Fatalf("the server does not say it listens on the socket:\n%s", log)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o660 || st.Gid != group {
		t.Fatalf("socket mode %v, group %d; want 0660 and %d", fi.Mode().Perm(), st.Gid, group)
	}

	// The test binary, copied where user 65534 may run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := filepath.Join(dir, "dial")
	copyFile(t, self, helper, 0o755)
	dial := func(groups []uint32) string {
		t.Helper()
		cmd := exec.Command(helper)
		cmd.Env = append(os.Environ(), dialUnixEnv+"="+sock)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: groups}}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helper: %v", err)
		}
		return string(out)
	}
	if got := dial([]uint32{group}); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("a user in the socket's group: %q, want HTTP/1.1 200", got)
	}
	if got := dial([]uint32{}); !strings.Contains(got, "permission denied") {
		t.Fatalf("a user outside the socket's group: %q, want permission denied", got)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
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
