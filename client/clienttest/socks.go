package clienttest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Socks is a running microsocks SOCKS5 proxy listening on 127.0.0.1.
// Its outgoing connections leave from 127.0.0.2 (also loopback), so a
// server sees from the peer address whether a request came through it.
type Socks struct {
	Addr string
}

// SocksPeer is the address the proxy's connections come from.
const SocksPeer = "127.0.0.2"

// StartSocks runs microsocks ($REFUGE_MICROSOCKS, else the one on PATH;
// Debian package microsocks) on a port it picks itself (-p 0), which is
// read back from /proc: a port picked here and handed over could be taken
// by another test before microsocks binds it. The test fails, with an install hint, if
// microsocks is missing.
func StartSocks(t testing.TB) *Socks {
	t.Helper()
	bin := os.Getenv("REFUGE_MICROSOCKS") // the one the test environment names, if any
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("microsocks"); err != nil {
			t.Fatal("microsocks is not installed: apt-get install microsocks (the SOCKS5 tests need a real proxy)")
		}
	}
	cmd := exec.Command(bin, "-i", "127.0.0.1", "-p", "0", "-b", SocksPeer) // #nosec G204 G702 -- test helper: runs the microsocks binary the test environment names or PATH holds
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	// Wait until it listens (bounded).
	deadline := time.Now().Add(10 * time.Second)
	for {
		port, err := listeningPort(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if port != 0 {
			return &Socks{Addr: fmt.Sprintf("127.0.0.1:%d", port)}
		}
		select {
		case <-exited:
			t.Fatal("microsocks exited before it listened")
		case <-time.After(20 * time.Millisecond): // polling, bounded above
		}
		if time.Now().After(deadline) {
			t.Fatal("microsocks did not start listening")
		}
	}
}

// listeningPort returns the port of the TCP socket on which process pid
// listens, or 0 if it listens on none yet (Linux: its socket descriptors
// under /proc/PID/fd, matched by inode in /proc/PID/net/tcp).
func listeningPort(pid int) (int, error) {
	fds, err := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		return 0, fmt.Errorf("finding the proxy's port needs Linux's /proc: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] { // 0A: LISTEN
			continue
		}
		_, hexPort, _ := strings.Cut(fields[1], ":")
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/net/tcp: %q", pid, sc.Text())
		}
		return int(port), nil
	}
	return 0, sc.Err()
}
