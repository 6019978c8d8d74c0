package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"refuge/client"
	"refuge/client/clienttest"
	"refuge/internal/cli"
	"refuge/internal/flock"
)

// TestSubmitTwiceAtOnce runs the same submit again while the first run
// is still uploading (a second window, a retry pressed too soon): the
// second is refused with a clear message, prints no phrase and changes
// nothing; the first completes, and its phrase finds the submission.
func TestSubmitTwiceAtOnce(t *testing.T) {
	t.Parallel()
	first := startHeld(t, 4<<20, 12<<20)
	srv, u, f, args, phrase := first.srv, first.u, first.file, first.args, first.phrase
	dir, state := pendingState1(t, u)
	if state.UploadURL == "" {
		t.Fatal("the first run holds no upload")
	}
	before := files(t, dir)

	r := u.run("", args...)
	if r.code != 1 || !strings.Contains(r.stderr, "already sending these files") || !strings.Contains(r.stderr, "Ctrl-C") {
		t.Fatalf("the second run was not refused: exit %d\n%s", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("the second run printed a phrase: %q", r.stdout)
	}
	if _, after := pendingState1(t, u); after.UploadURL != state.UploadURL || after.SubmissionID != state.SubmissionID {
		t.Fatalf("the second run changed the first one's state: %+v, was %+v", after, state)
	}
	sameFiles(t, dir, before)

	first.hold.Release()
	if err := first.cmd.Wait(); err != nil {
		t.Fatalf("the first run failed: %v\n%s", err, first.stderr.String())
	}
	checkDelivered(t, u, srv, phrase, f)
}

// heldSubmit is a refuge submit of a random file, held mid-upload by a
// HoldProxy in front of an in-process server.
type heldSubmit struct {
	srv    *clienttest.Server
	hold   *clienttest.HoldProxy
	u      *user
	file   string
	args   []string
	cmd    *exec.Cmd
	phrase string
	stderr *syncBuffer
}

// startHeld starts a submit of size bytes and returns once the proxy holds
// it, after limit bytes.
func startHeld(t *testing.T, limit, size int64) *heldSubmit {
	t.Helper()
	h := &heldSubmit{srv: clienttest.StartServer(t), u: newUser(t), stderr: new(syncBuffer)}
	h.hold = clienttest.StartHoldProxy(t, h.srv.Addr, limit)
	h.file = randomFile(t, t.TempDir(), "evidence.bin", size)
	h.args = []string{"submit", "--server", "http://" + h.hold.Addr, "--root-pub", h.srv.Keys.RootPub.String(), h.file}
	h.cmd, h.phrase = startSubmit(t, h.u, h.args, h.stderr)
	select {
	case <-h.hold.Holding:
	case <-time.After(60 * time.Second):
		t.Fatalf("the run never got %d bytes out:\n%s", limit, h.stderr.String())
	}
	return h
}

// sameFiles fails unless dir holds the files of before, none replaced
// but the state, which the first run replaces as it goes (sizes and times
// change too): the second run must replace or remove nothing.
func sameFiles(t *testing.T, dir string, before map[string]os.FileInfo) {
	t.Helper()
	now := files(t, dir)
	for name, fi := range before {
		if now[name] == nil || name != stateFile && !os.SameFile(fi, now[name]) {
			t.Fatalf("the second run replaced or removed %s", name)
		}
	}
	for name := range now {
		if before[name] == nil {
			t.Fatalf("the second run added %s", name)
		}
	}
}

// files returns what dir holds, but the temporary files of state saves.
func files(t *testing.T, dir string) map[string]os.FileInfo {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]os.FileInfo{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = fi
	}
	return m
}

// TestClaimPending: one claim at a time; a folder holding nothing but the
// lock goes when released, one holding state stays; a run that opened the
// lock file just before its holder removed the folder does not take a
// lock on a file without a name; a killed run's temporary files go.
func TestClaimPending(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pending", "0123")
	e := &env{out: cli.Output{W: io.Discard}}
	claimPending := func(dir, what string) (*pending, error) {
		p := &pending{e: e, dir: dir, what: what}
		return p, p.claim()
	}
	a, err := claimPending(dir, "these files")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := claimPending(dir, "these files"); err == nil || !strings.Contains(err.Error(), "already sending these files") {
		t.Fatalf("a second claim: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.release()
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err != nil {
		t.Fatalf("release removed the state of an unfinished upload: %v", err)
	}

	if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := claimPending(dir, "these files")
	if err != nil {
		t.Fatalf("the folder could not be claimed again after its release: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-123")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a killed run's temporary file was kept: %v", err)
	}
	early, err := os.Open(filepath.Join(dir, lockFile)) // another run, about to lock
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if err := b.clear(); err != nil {
		t.Fatal(err)
	}
	b.release()
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the folder of a finished upload is still there: %v", err)
	}
	if err := flock.TryLock(early); err != nil {
		t.Fatal(err)
	}
	if named(early, filepath.Join(dir, lockFile)) {
		t.Fatal("a lock file removed by its holder still counts")
	}
	c, err := claimPending(dir, "these files")
	if err != nil {
		t.Fatalf("a claim after a finished run: %v", err)
	}
	c.release()
}

// TestPendingMadeOnlyWhenKept: an upload folder that is not there is only
// named until the run keeps something: reading, clearing and releasing it
// make nothing, not even the state folder. keep makes both, 0700; a
// second run that named the same folder meanwhile is refused while the
// first holds it, and after the first saved its state and stopped, since
// that state is the first run's to resume. Neither reads nor clears it.
func TestPendingMadeOnlyWhenKept(t *testing.T) {
	state := filepath.Join(t.TempDir(), "refuge")
	dir := filepath.Join(state, "pending", "0123")
	e := &env{out: cli.Output{W: io.Discard}}
	open := func() *pending {
		t.Helper()
		p, err := e.openPending(dir, "these files")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := open(), open()
	if _, ok, err := a.state(); ok || err != nil {
		t.Fatalf("state of a folder not there: %v, %v", ok, err)
	}
	if err := a.clear(); err != nil {
		t.Fatal(err)
	}
	a.release()
	if _, err := os.Lstat(state); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("naming, reading, clearing and releasing an upload folder made the state folder: %v", err)
	}
	if err := a.keep(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{state, filepath.Dir(dir), dir} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s is not made 0700: %v, %v", d, fi, err)
		}
	}
	if err := b.keep(); !errors.Is(err, errBusy) {
		t.Fatalf("a second run kept the folder that the first holds: %v", err)
	}
	if err := saveState(dir, uploadState{SubmissionID: "id", Size: 1}); err != nil {
		t.Fatal(err)
	}
	a.release()
	if err := b.clear(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.state(); ok {
		t.Fatal("a run read the state of a folder it never held")
	}
	if err := b.keep(); !errors.Is(err, errBusy) {
		t.Fatalf("a run that named the folder before another saved its state there kept it: %v", err)
	}
	b.release()
	if _, ok, err := loadState(dir); !ok || err != nil {
		t.Fatalf("the first run's state is gone: %v, %v", ok, err)
	}
	c := open() // the folder is there: claimed at once
	if st, ok, err := c.state(); !ok || err != nil || st.SubmissionID != "id" {
		t.Fatalf("the next run does not resume: %v, %v", ok, err)
	}
	c.release()
}

// TestSubmitTellsOfOtherPending: a submit that completes tells of the
// unfinished uploads of other files the device keeps (one whose files
// changed since can never resume), and touches none of them.
func TestSubmitTellsOfOtherPending(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	u.init(srv)
	f := randomFile(t, t.TempDir(), "a.bin", 1000)
	r := u.ok("", "submit", f)
	if strings.Contains(r.stderr, "unfinished") {
		t.Fatalf("told of other uploads when there are none:\n%s", r.stderr)
	}
	old := filepath.Join(u.state, "pending", "0123456789abcdef0123456789abcdef")
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	st := uploadState{Server: srv.URL, Kind: "anonymous", SubmissionID: "s", Size: 10}
	if err := saveState(old, st); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 28, 12, 0, 0, 0, time.Local)
	if err := os.Chtimes(filepath.Join(old, stateFile), day, day); err != nil {
		t.Fatal(err)
	}
	before := files(t, old)
	g := randomFile(t, t.TempDir(), "b.bin", 1000)
	r = u.ok("", "submit", g)
	if !strings.Contains(r.stderr, "still keeps 1 other unfinished upload in "+filepath.Dir(old)) ||
		!strings.Contains(r.stderr, "the most recent from 28 November 2026") || !strings.Contains(r.stderr, "delete its folder") {
		t.Fatalf("not told of the other upload:\n%s", r.stderr)
	}
	sameFiles(t, old, before)
}

// TestSubmitQuietAboutUploadsAtWork: a submit that completes while
// another run on the device is sending other files (a batch run several at
// once) does not tell of that upload as unfinished, nor hint to delete its
// folder; the other run completes.
func TestSubmitQuietAboutUploadsAtWork(t *testing.T) {
	t.Parallel()
	first := startHeld(t, 4<<20, 12<<20)
	srv, u := first.srv, first.u
	if _, st := pendingState1(t, u); st.UploadURL == "" {
		t.Fatal("the first run holds no upload")
	}
	g := randomFile(t, t.TempDir(), "b.bin", 1000)
	r := u.ok("", "submit", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String(), g)
	if strings.Contains(r.stderr, "unfinished") || strings.Contains(r.stderr, "delete its folder") {
		t.Fatalf("told of the upload another run is sending as unfinished:\n%s", r.stderr)
	}
	first.hold.Release()
	if err := first.cmd.Wait(); err != nil {
		t.Fatalf("the first run failed: %v\n%s", err, first.stderr.String())
	}
	pendingEmpty(t, u)
	if st := u.ok(first.phrase+"\n", "status", "--server", srv.URL); !strings.Contains(st.stdout, "received") {
		t.Fatalf("the first run's phrase does not find its submission: %s", st.stdout)
	}
}

// TestPushWhileAnotherPushes: a courier push that meets a reply another
// push is sending stops there, says so, and moves nothing; once the other
// is done, the push goes on.
func TestPushWhileAnotherPushes(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	courier := newUser(t)
	outbox := t.TempDir()
	id := strings.Repeat("ab", 16)
	reply := filepath.Join(outbox, "replies", id, "reply-1.age")
	if err := os.MkdirAll(filepath.Dir(reply), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reply, []byte("age-encryption.org/v1\n-> X25519 x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := pendingDir(courier.state, c.Server(), "reply", []string{reply}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	other, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := flock.TryLock(other); err != nil {
		t.Fatal(err)
	}
	r := courier.run("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, outbox)
	if r.code != 1 || !strings.Contains(r.stderr, "already sending "+reply) || strings.Contains(r.stderr, "refused") {
		t.Fatalf("a push meeting another: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(reply); err != nil {
		t.Fatalf("the reply was moved: %v", err)
	}
	other.Close()
	// The reply is not a real one: the server now refuses it, which shows
	// that the push went on to send it.
	if r := courier.run("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, outbox); !strings.Contains(r.stderr, "the submission this reply answers does not exist") {
		t.Fatalf("the push did not go on once the other was done: exit %d\n%s", r.code, r.stderr)
	}
}

// TestSubmitInterrupted: Ctrl-C (SIGINT) in the middle of an upload
// stops it with exit 130 and says that running the same command again
// resumes it; it does.
func TestSubmitInterrupted(t *testing.T) {
	t.Parallel()
	h := startHeld(t, 4<<20, 12<<20)
	srv, hold, u, f, args, cmd, phrase, stderr := h.srv, h.hold, h.u, h.file, h.args, h.cmd, h.phrase, h.stderr
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 ||
		!strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "run the same command again") {
		t.Fatalf("an interrupted submit: %v\n%s", err, stderr.String())
	}
	hold.Release()
	if r := u.ok("", args...); !strings.Contains(r.stderr, "resuming") || r.stdout != "" {
		t.Fatalf("the next run did not resume:\n%s", r.stderr)
	}
	checkDelivered(t, u, srv, phrase, f)
}

// TestSubmitTerminated: SIGTERM (a supervisor stopping the job, a time
// limit) winds an upload down as Ctrl-C does, exit 130 with its state
// kept, and says what stopped it. Before, it said "interrupted (Ctrl-C)",
// which sends whoever reads a job's log looking for a person at a
// keyboard.
func TestSubmitTerminated(t *testing.T) {
	t.Parallel()
	h := startHeld(t, 4<<20, 12<<20)
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := h.cmd.Wait()
	var ee *exec.ExitError
	out := h.stderr.String()
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(out, "refuge: error: stopped by SIGTERM; nothing is lost") ||
		strings.Contains(out, "Ctrl-C") || !strings.Contains(out, "run the same command again") {
		t.Fatalf("a submit stopped by SIGTERM: %v\n%s", err, out)
	}
	h.hold.Release()
	if r := h.u.ok("", h.args...); !strings.Contains(r.stderr, "resuming") || r.stdout != "" {
		t.Fatalf("the next run did not resume:\n%s", r.stderr)
	}
	checkDelivered(t, h.u, h.srv, h.phrase, h.file)
}

// TestSubmitStoppedBeforePhrase: a submit stopped while it still fetches
// the officers' keys has made no phrase. Before, it said that the same
// command resumes "under the same receipt phrase", which sent a defender
// looking for a phrase never shown. Now it says that nothing was sent and
// no phrase made; the next run starts afresh and shows one.
func TestSubmitStoppedBeforePhrase(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	hold := clienttest.StartHoldProxy(t, srv.Addr, 1) // the first request hangs
	u := newUser(t)
	args := []string{"submit", "--server", "http://" + hold.Addr, "--root-pub", srv.Keys.RootPub.String(),
		randomFile(t, t.TempDir(), "a.pdf", 1<<10)}
	cmd := u.command(nil, args...)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	select {
	case <-hold.Holding:
	case <-time.After(60 * time.Second):
		t.Fatalf("the run never asked for the manifest:\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || stdout.String() != "" ||
		!strings.Contains(stderr.String(), "nothing was sent and no receipt phrase was made yet") ||
		strings.Contains(stderr.String(), "same receipt phrase") {
		t.Fatalf("a submit stopped before its phrase: %v\nstdout: %s\n%s", err, stdout.String(), stderr.String())
	}
	hold.Release()
	r := u.ok("", args...)
	if strings.Contains(r.stderr, "resuming") {
		t.Fatalf("the next run resumed a submission whose phrase was never shown:\n%s", r.stderr)
	}
	phraseOf(t, r)
}

// TestSubmitPhraseNeverShown: a run that died after saving its state and
// before showing its new phrase (power lost, killed: here the state is
// set to that point after a kill) left a submission whose phrase no one
// has. Before, the next run sent it under that phrase and said the phrase
// "was printed when it started". Now it starts afresh with a new phrase,
// the old upload is terminated, and the new phrase finds the submission.
func TestSubmitPhraseNeverShown(t *testing.T) {
	t.Parallel()
	h := startHeld(t, 1<<20, 4<<20)
	h.cmd.Process.Kill()
	h.cmd.Wait()
	dir, st := pendingState1(t, h.u)
	if st.UploadURL == "" || st.PhraseUnshown {
		t.Fatalf("the state after the phrase was shown: %+v", st)
	}
	st.PhraseUnshown = true
	if err := saveState(dir, st); err != nil {
		t.Fatal(err)
	}
	// Not released: what the killed run had sent stays held, as it
	// would be lost with the run; the next run's connections pass.
	before := h.srv.Requests()["DELETE"]
	r := h.u.ok("", h.args...)
	if !strings.Contains(r.stderr, "stopped before it showed its receipt phrase: starting afresh") || strings.Contains(r.stderr, "resuming") {
		t.Fatalf("the run after a phrase never shown:\n%s", r.stderr)
	}
	phrase := phraseOf(t, r)
	if phrase == h.phrase {
		t.Fatal("the phrase never shown was used again")
	}
	if h.srv.Requests()["DELETE"] == before {
		t.Fatal("the old upload was not terminated")
	}
	checkDelivered(t, h.u, h.srv, phrase, h.file)
	pendingEmpty(t, h.u)
}

// TestResealFindsCompleted: a run stopped after its last byte reached the
// server but before the answer came back, with its sealing unfinished
// (Ctrl-C, a power cut), leaves a state to seal again. The next run finds
// the upload gone and the submission there: that is a success, under the
// first phrase, not a refusal.
func TestResealFindsCompleted(t *testing.T) {
	t.Parallel()
	h := startHeld(t, 1<<20, 4<<20)
	srv, hold, u, f, args, cmd, phrase, stderr := h.srv, h.hold, h.u, h.file, h.args, h.cmd, h.phrase, h.stderr
	dir, st := pendingState1(t, u)
	hold.Release()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the first run: %v\n%s", err, stderr.String())
	}
	// What the stopped run would have left: its state, sealing unfinished.
	st.Sealed = false
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := saveState(dir, st); err != nil {
		t.Fatal(err)
	}
	r := u.ok("", args...)
	if !strings.Contains(r.stderr, "the upload had completed") || r.stdout != "" {
		t.Fatalf("the next run:\n%s%s", r.stdout, r.stderr)
	}
	checkDelivered(t, u, srv, phrase, f)
}

// syncBuffer is a bytes.Buffer that a running subprocess writes to while
// the test may read it (to report a failure).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
