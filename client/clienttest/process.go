package clienttest

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// BuildServer builds cmd/refuge-server into a temporary folder and
// returns the binary's path.
func BuildServer(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "refuge-server")
	out, err := exec.Command("go", "build", "-o", bin, "refuge/cmd/refuge-server").CombinedOutput() // #nosec G204 -- test helper: builds our own command
	if err != nil {
		t.Fatalf("building refuge-server: %v\n%s", err, out)
	}
	return bin
}

// StartProcess runs the refuge-server binary bin on the data directory of
// s (see Setup) with extra flags args, on a free port of 127.0.0.1, or on
// s.Addr again if a process ran there before. It is killed when the test
// ends, or by stop (which waits for it to exit). Log returns what it
// printed.
func (s *Server) StartProcess(t testing.TB, bin string, args ...string) (log func() string, stop func()) {
	t.Helper()
	if s.Addr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.Addr = ln.Addr().String()
		ln.Close()
		s.URL = "http://" + s.Addr
	}
	pub := s.Keys.RootPub.String()
	cmd := exec.Command(bin, append([]string{"--data", s.Dir, "--root-pub", pub, "--listen", s.Addr}, args...)...) // #nosec G204 -- test helper: runs the binary it just built
	var mu sync.Mutex
	var out bytes.Buffer
	cmd.Stdout = lockedWriter{&mu, &out}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	log = func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return log, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("refuge-server did not start listening: %v\n%s", err, log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
