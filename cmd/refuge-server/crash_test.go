package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/server/store"
)

// buildServer builds refuge-server into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "refuge-server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// setup is a data directory with a published manifest of two officer
// recipients and a courier token, made with the real binary.
type setup struct {
	bin, data, rootPub, courier string
	recipients                  []age.Recipient
}

func newSetup(t *testing.T, bin string) *setup {
	t.Helper()
	dir := t.TempDir()
	s := &setup{bin: bin, data: filepath.Join(dir, "data")}
	makeDataDir(t, s.data) // as the server's first start does
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ackPub, _, _ := minisign.GenerateKey(rand.Reader)
	s.rootPub = pub.String()
	var rs []string
	for range 2 {
		id, _ := age.GenerateHybridIdentity()
		s.recipients = append(s.recipients, id.Recipient())
		rs = append(rs, fmt.Sprintf("%q", id.Recipient().String()))
	}
	m := fmt.Sprintf(`{"format":"refuge-manifest-v1","version":1,"expires":%q,"recipients":[%s],"partners":[],"ack_key":%q}`,
		time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"), strings.Join(rs, ","), ackPub.String())
	mf, sf := filepath.Join(dir, "manifest.json"), filepath.Join(dir, "manifest.json.minisig")
	os.WriteFile(mf, []byte(m), 0o600)
	os.WriteFile(sf, minisign.Sign(priv, []byte(m)), 0o600)
	if out, err := exec.Command(bin, "publish", "--data", s.data, "--root-pub", s.rootPub, mf, sf).CombinedOutput(); err != nil {
		t.Fatalf("publish: %v: %s", err, out)
	}
	out, err := exec.Command(bin, "token", "add", "--courier", "desk", "--data", s.data).Output()
	if err != nil {
		t.Fatalf("token add: %v", err)
	}
	s.courier = strings.TrimSpace(string(out))
	return s
}

type proc struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	done   chan error
}

var addrRE = regexp.MustCompile(`addr=(http://127\.0\.0\.1:\d+)`)

// start runs refuge-server on a free port and waits for it to listen.
func (s *setup) start(t *testing.T) *proc {
	t.Helper()
	p := &proc{stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(s.bin, "--data", s.data, "--root-pub", s.rootPub, "--listen", "127.0.0.1:0", "--rate-limit", "100000")
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.stderr.WriteString(sc.Text() + "\n")
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	go func() { p.done <- p.cmd.Wait(); pw.Close() }()
	select {
	case p.url = <-urls:
	case err := <-p.done:
		t.Fatalf("refuge-server exited: %v", err)
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		t.Fatal("refuge-server did not start listening")
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

type upload struct {
	body  []byte
	sid   string
	loc   atomic.Value // string
	acked atomic.Int64 // offset of the last 204
	done  atomic.Bool
}

func tusReq(method, url string, body []byte, kv ...string) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// run uploads u in chunks until it finishes or the server goes away.
func (u *upload) run(url string, chunk int) {
	var tok [32]byte
	rand.Read(tok[:])
	v := sha256.Sum256(tok[:])
	resp, err := tusReq("POST", url+"/v1/uploads", nil, "Upload-Length", strconv.Itoa(len(u.body)),
		"Upload-Metadata", "submission-id "+b64(u.sid)+",verifier "+b64(hex.EncodeToString(v[:])))
	if err != nil || resp.StatusCode != 201 {
		return
	}
	u.loc.Store(resp.Header.Get("Location"))
	for off := 0; off < len(u.body); off += chunk {
		end := min(off+chunk, len(u.body))
		resp, err := tusReq("PATCH", url+resp.Header.Get("Location"), u.body[off:end], "Upload-Offset", strconv.Itoa(off), "Content-Type", "application/offset+octet-stream")
		if err != nil || resp.StatusCode != 204 {
			return
		}
		u.acked.Store(int64(end))
	}
	u.done.Store(true)
}

// TestCrashDuringConcurrentUploads kill -9s refuge-server while 60
// uploads run, restarts it, and checks that every completed upload is
// intact, every partial one resumes from HEAD's offset (at least what was
// acknowledged), and the bbolt file is consistent.
func TestCrashDuringConcurrentUploads(t *testing.T) {
	bin := buildServer(t)
	s := newSetup(t, bin)
	p := s.start(t)

	// Upload i is i+1 chunks of 16 KiB: the small ones finish at once, the
	// large ones are still running when the fifth finishes and the kill
	// comes.
	const n, chunk = 60, 16 << 10
	ups := make([]*upload, n)
	var wg sync.WaitGroup
	var finished atomic.Int32
	fifth := make(chan struct{})
	for i := range ups {
		var sid [16]byte
		rand.Read(sid[:])
		var buf bytes.Buffer
		w, _ := age.Encrypt(&buf, s.recipients...)
		io.CopyN(w, rand.Reader, int64((i+1)*chunk-2000))
		w.Close()
		ups[i] = &upload{body: buf.Bytes(), sid: hex.EncodeToString(sid[:])}
	}
	for _, u := range ups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.run(p.url, chunk)
			if u.done.Load() && finished.Add(1) == 5 {
				close(fifth)
			}
		}()
	}
	select {
	case <-fifth:
	case <-time.After(60 * time.Second):
		t.Fatal("five uploads did not finish in 60 s")
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	wg.Wait()
	var complete, partial int
	for _, u := range ups {
		if u.done.Load() {
			complete++
		} else if u.acked.Load() > 0 {
			partial++
		}
	}
	t.Logf("at the kill: %d complete, %d partial with acknowledged bytes, %d other", complete, partial, n-complete-partial)
	if complete == 0 || partial == 0 {
		t.Fatalf("the kill did not land during the uploads (%d complete, %d partial)", complete, partial)
	}

	p2 := s.start(t)
	get := func(sid string) []byte {
		req, _ := http.NewRequest("GET", p2.url+"/v1/submissions/"+sid+"/ciphertext", nil)
		req.Header.Set("Authorization", "Bearer "+s.courier)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil
		}
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	for i, u := range ups {
		if u.done.Load() {
			if !bytes.Equal(get(u.sid), u.body) {
				t.Errorf("upload %d: completed before the kill, not intact after", i)
			}
			continue
		}
		loc, _ := u.loc.Load().(string)
		if loc == "" {
			continue // never acknowledged its creation
		}
		resp, err := tusReq("HEAD", p2.url+loc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 404 {
			// Completed, but the last answer was lost to the kill.
			if !bytes.Equal(get(u.sid), u.body) {
				t.Errorf("upload %d: gone after restart and not stored intact", i)
			}
			continue
		}
		off, err := strconv.Atoi(resp.Header.Get("Upload-Offset"))
		if resp.StatusCode != 200 || err != nil || int64(off) < u.acked.Load() || off > len(u.body) {
			t.Errorf("upload %d: HEAD %d offset %q, %d acknowledged", i, resp.StatusCode, resp.Header.Get("Upload-Offset"), u.acked.Load())
			continue
		}
		if off < len(u.body) {
			resp, err = tusReq("PATCH", p2.url+loc, u.body[off:], "Upload-Offset", strconv.Itoa(off), "Content-Type", "application/offset+octet-stream")
			if err != nil || resp.StatusCode != 204 {
				t.Errorf("upload %d: resume from %d: %v %v", i, off, err, resp)
				continue
			}
		}
		if !bytes.Equal(get(u.sid), u.body) {
			t.Errorf("upload %d: resumed from %d but not intact", i, off)
		}
	}

	// Graceful stop, then bbolt's own consistency check.
	p2.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p2.done; err != nil {
		t.Fatalf("refuge-server after SIGTERM: %v\n%s", err, p2.stderr)
	}
	st, err := store.Open(s.data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
}
