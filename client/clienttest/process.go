package clienttest

import (
	"bytes"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
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
// s (see Setup) with extra flags args, and returns once it says it
// listens (its admin socket is up by then too). The process listens on a
// port of its own choosing, behind a relay that the test holds on
// 127.0.0.1: s.Addr stays the same when a process is started again after
// stop, and no other test can take the address in between. The process is
// killed when the test ends, or by stop (which waits for it to exit). Log
// returns what it printed.
func (s *Server) StartProcess(t testing.TB, bin string, args ...string) (log func() string, stop func()) {
	t.Helper()
	if s.relay == nil {
		s.relay = startRelay(t)
		s.Addr = s.relay.addr
		s.URL = "http://" + s.Addr
	}
	pub := s.Keys.RootPub.String()
	cmd := exec.Command(bin, append([]string{"--data", s.Dir, "--root-pub", pub, "--listen", "127.0.0.1:0"}, args...)...) // #nosec G204 -- test helper: runs the binary it just built
	out := &processLog{listening: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(stop)
	select {
	case addr := <-out.listening:
		s.relay.target.Store(&addr)
	case <-exited:
		t.Fatalf("refuge-server exited before it listened:\n%s", out.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("refuge-server did not start listening:\n%s", out.String())
	}
	return out.String, stop
}

// processLog collects what a refuge-server process prints, and sends the
// address of its "refuge-server listening" line on listening.
type processLog struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	found     bool
	listening chan string
}

var listeningLine = regexp.MustCompile(`refuge-server listening.* addr=https?://(127\.0\.0\.1:[0-9]+)\n`)

func (l *processLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.found {
		if m := listeningLine.FindSubmatch(l.buf.Bytes()); m != nil {
			l.found = true
			l.listening <- string(m[1])
		}
	}
	return len(p), nil
}

func (l *processLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// relay forwards TCP connections from its own address on 127.0.0.1 to
// target, the address of the refuge-server process of the moment; with
// no process there, it closes them.
type relay struct {
	addr   string
	target atomic.Pointer[string]
}

func startRelay(t testing.TB) *relay {
	t.Helper()
	r := &relay{}
	r.addr = listen(t, r.serve)
	return r
}

func (r *relay) serve(c net.Conn) {
	target := r.target.Load()
	if target == nil {
		return
	}
	s, err := net.Dial("tcp", *target)
	if err != nil {
		return
	}
	back := make(chan struct{})
	go func() {
		io.Copy(c, s)
		c.Close()
		close(back)
	}()
	io.Copy(s, c)
	s.Close()
	<-back
}
