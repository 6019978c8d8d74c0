package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"refuge/client"
	"refuge/client/clienttest"
	"refuge/server/api"
	"refuge/server/store"
)

// TestSubmitKilledResumes kills refuge (SIGKILL) in the middle of an
// upload and runs the same submit again: it resumes from the server's
// offset, prints no new phrase, and the first phrase finds the submission.
func TestSubmitKilledResumes(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	slow := clienttest.StartSlowProxy(t, srv.Addr, 8<<20)
	u := newUser(t)
	pub := srv.Keys.RootPub.String()
	f := randomFile(t, t.TempDir(), "evidence.bin", 24<<20)
	args := []string{"submit", "--server", "http://" + slow, "--root-pub", pub, f}
	c, err := client.New(client.Options{Server: "http://" + slow, Proxy: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	// The kill comes once the files are sealed whole and the server holds
	// part of the upload: the upload starts with a small chunk while
	// sealing goes on, and a run killed before the seal ends seals again.
	var offset, length int64
	phrase := killMidUpload(t, u, args, func() bool {
		if _, st := pendingState1(t, u); st.Sealed && st.UploadURL != "" {
			offset, length, _ = c.UploadOffset(context.Background(), uploadURL(t, u), "")
		}
		return offset > 0
	})
	if offset >= length {
		t.Fatalf("the upload finished before the kill (%d of %d); slow the proxy down", offset, length)
	}
	checkPending(t, u, phrase, "evidence.bin")
	before := srv.Requests()["patch-bytes"]
	r := u.ok("", args...)
	sent := int64(srv.Requests()["patch-bytes"] - before)
	if r.stdout != "" {
		t.Fatalf("the resumed run printed a new phrase: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "resuming") {
		t.Fatalf("the second run did not resume:\n%s", r.stderr)
	}
	// The count includes bytes of the killed run still draining through
	// the proxy, hence the slack; a restart would send all length bytes.
	if sent > length-offset+(2<<20) {
		t.Fatalf("the resumed run sent %d bytes; only %d were missing (offset %d of %d): it restarted", sent, length-offset, offset, length)
	}
	t.Logf("killed at offset %d of %d; the resumed run sent %d bytes", offset, length, sent)
	pendingEmpty(t, u)
	if st := u.ok(phrase+"\n", "status", "--server", srv.URL); !strings.Contains(st.stdout, "received") {
		t.Fatalf("the first phrase does not find the submission: %s", st.stdout)
	}
}

// killMidUpload starts refuge with args, reads the phrase it prints
// before uploading, polls (bounded) until ready says so, and kills it
// with SIGKILL. It returns the phrase.
func killMidUpload(t *testing.T, u *user, args []string, ready func() bool) string {
	t.Helper()
	cmd, phrase := startSubmit(t, u, args, nil)
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatal("the upload never got that far")
		}
		time.Sleep(50 * time.Millisecond) // polling, bounded above
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	return phrase
}

// startSubmit starts refuge with args (a submit), stderr going to
// stderr, and returns it with the phrase it prints before it uploads.
func startSubmit(t *testing.T, u *user, args []string, stderr io.Writer) (*exec.Cmd, string) {
	t.Helper()
	cmd := u.command(nil, args...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// The phrase comes first, before any byte is uploaded.
	phrase, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no phrase before the upload: %v", err)
	}
	return cmd, strings.TrimSpace(phrase)
}

// pendingState1 reads the state of the user's one pending upload.
func pendingState1(t *testing.T, u *user) (string, uploadState) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(u.state, "pending", "*"))
	if len(dirs) != 1 {
		return "", uploadState{}
	}
	st, _, _ := loadState(dirs[0])
	return dirs[0], st
}

// The spool gives back what the server holds as the upload goes. If the
// server then loses the upload, the next run cannot send it from the
// start: it says so, seals the files again under the phrase already
// shown, and the officers open what was sent.
func TestSubmitServerLostReleasedUpload(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	slow := clienttest.StartSlowProxy(t, srv.Addr, 8<<20)
	u := newUser(t)
	file := randomFile(t, t.TempDir(), "video.bin", 24<<20)
	args := []string{"submit", "--server", "http://" + slow, "--root-pub", srv.Keys.RootPub.String(), file}
	// The spool records a release before it frees the bytes, so the kill
	// must come once a release has been recorded and its bytes freed (a
	// later one may be recorded and not yet freed when the kill lands).
	// It must also come once the files are sealed whole: the upload starts
	// with a small chunk while sealing goes on, and a run killed before the
	// seal ends seals again for that reason, not for the server's loss.
	var freed int64
	phrase := killMidUpload(t, u, args, func() bool {
		dir, st := pendingState1(t, u)
		if st.Sealed && st.Released > 0 && zeros(filepath.Join(dir, sealedFile), st.Released) {
			freed = st.Released
		}
		return freed > 0
	})
	dir, st := pendingState1(t, u)
	spool, err := os.ReadFile(filepath.Join(dir, sealedFile))
	if err != nil || int64(len(spool)) != st.Size || st.Released < freed {
		t.Fatalf("spool of %d bytes (%v), want %d; %d bytes released, %d freed before", len(spool), err, st.Size, st.Released, freed)
	}
	if !bytes.Equal(spool[:freed], make([]byte, freed)) {
		t.Fatalf("the first %d bytes, which the server held and this device had freed, are back", freed)
	}
	// The server loses the upload.
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	// (The killed run's last request may still drain through the proxy and
	// hold the upload: try again until it is done, bounded.)
	url := strings.Replace(st.UploadURL, slow, srv.Addr, 1)
	for deadline := time.Now().Add(30 * time.Second); ; {
		err := c.TerminateUpload(context.Background(), url, "")
		if err == nil {
			break
		}
		if !errors.Is(err, api.ErrConflict) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // polling the server, bounded above
	}

	r := u.ok("", args...)
	if r.stdout != "" {
		t.Fatalf("the run printed a new phrase: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "no longer has the part") || !strings.Contains(r.stderr, "sealing them again") {
		t.Fatalf("the run did not say why it sealed again:\n%s", r.stderr)
	}
	checkDelivered(t, u, srv, phrase, file)
}

// zeros reports whether the file name begins with n zero bytes.
func zeros(name string, n int64) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, n)
	if _, err := io.ReadFull(f, buf); err != nil {
		return false
	}
	return bytes.Equal(buf, make([]byte, n))
}

// checkDelivered checks the end of a submission of file that had to be
// sealed again: nothing pending, the first phrase finds it, and the
// officers open the file sent.
func checkDelivered(t *testing.T, u *user, srv *clienttest.Server, phrase, file string) {
	t.Helper()
	pendingEmpty(t, u)
	if st := u.ok(phrase+"\n", "status", "--server", srv.URL); !strings.Contains(st.stdout, "received") {
		t.Fatalf("the first phrase does not find the submission: %s", st.stdout)
	}
	res := openPulled(t, srv, pullOne(t, srv))
	got, err := os.ReadFile(filepath.Join(res.Dir, "files", filepath.Base(file)))
	want, _ := os.ReadFile(file)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the officers do not get the file sent (%v)", err)
	}
}

// uploadURL reads the upload URL from the user's pending upload state.
func uploadURL(t *testing.T, u *user) string {
	files, _ := filepath.Glob(filepath.Join(u.state, "pending", "*", "state.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var st uploadState
		if json.Unmarshal(data, &st) == nil && st.UploadURL != "" {
			if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
				t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
			}
			return st.UploadURL
		}
	}
	return ""
}

// checkPending checks what an interrupted submit leaves on the device:
// a 0700 folder with state.json (0600) and the ciphertext, and neither
// the phrase nor a file name anywhere in it.
func checkPending(t *testing.T, u *user, phrase, name string) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(u.state, "pending", "*"))
	if len(dirs) != 1 {
		t.Fatalf("pending: %v", dirs)
	}
	if fi, _ := os.Stat(dirs[0]); fi.Mode().Perm() != 0o700 {
		t.Fatalf("pending folder mode %v", fi.Mode().Perm())
	}
	st, _, _ := loadState(dirs[0])
	entries, _ := os.ReadDir(dirs[0])
	for _, e := range entries {
		// A kill while the state is saved leaves writeFileAtomic's
		// temporary file, which holds the state; it goes with the folder.
		if e.Name() != stateFile && e.Name() != sealedFile && e.Name() != lockFile && !strings.HasPrefix(e.Name(), ".tmp-") {
			t.Fatalf("unexpected file in the pending folder: %s", e.Name())
		}
		data, _ := os.ReadFile(filepath.Join(dirs[0], e.Name()))
		if e.Name() == lockFile && len(data) != 0 {
			t.Fatal("the lock file is not empty")
		}
		// The bundle starts with age's header, unless the server held
		// that part and it was freed (zeros). (A release is recorded
		// before its bytes are freed, so a kill may come in between: only
		// the start of the bundle is checked.)
		const header = "age-encryption.org/v1\n"
		if e.Name() == sealedFile && !strings.HasPrefix(string(data), header) &&
			(st.Released == 0 || !bytes.Equal(data[:len(header)], make([]byte, len(header)))) {
			t.Fatal("the pending bundle is not ciphertext")
		}
		for _, w := range append(strings.Fields(phrase), name) {
			if len(w) > 3 && strings.Contains(string(data), " "+w+" ") || strings.Contains(string(data), name) {
				t.Fatalf("%s holds the phrase or a file name", e.Name())
			}
		}
	}
}

// TestSubmitNetworkFailureExit4: a link that never lets a chunk through
// makes submit give up with exit 4 and keep its state; once the link
// works, the same command resumes and the first phrase finds the
// submission.
func TestSubmitNetworkFailureExit4(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	cut := clienttest.StartCutProxy(t, srv.Addr, 32<<10) // less than the smallest chunk
	u := newUser(t)
	args := []string{"submit", "--server", "http://" + cut.Addr, "--root-pub", srv.Keys.RootPub.String(),
		randomFile(t, t.TempDir(), "a.pdf", 1<<20)}
	r := u.run("", args...)
	if r.code != 4 || !strings.Contains(r.stderr, "run the same command again") {
		t.Fatalf("exit %d, want 4:\n%s", r.code, r.stderr)
	}
	phrase := phraseOf(t, r)
	if uploadURL(t, u) == "" {
		t.Fatal("the upload state was not kept")
	}
	cut.SetEvery(1 << 40)
	r = u.ok("", args...)
	if !strings.Contains(r.stderr, "resuming") || r.stdout != "" {
		t.Fatalf("second run:\n%s%s", r.stdout, r.stderr)
	}
	pendingEmpty(t, u)
	if st := u.ok(phrase+"\n", "status", "--server", srv.URL); !strings.Contains(st.stdout, "received") {
		t.Fatalf("status: %s", st.stdout)
	}
}

// TestSubmitCreationAnswerLost: the server made the upload but its answer
// was lost on the way, every time, so the run stops before it learns
// the upload's URL (exit 4, "run the same command again"). Run again, the
// same command finds that upload through the creation key it kept and
// finishes under the phrase already shown, where the server used to
// answer that the submission id was taken and the phrase had to be
// thrown away.
func TestSubmitCreationAnswerLost(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	lose := clienttest.StartLoseProxy(t, srv.Addr)
	lose.LosePosts(1 << 20)
	u := newUser(t)
	args := []string{"submit", "--server", "http://" + lose.Addr, "--root-pub", srv.Keys.RootPub.String(),
		randomFile(t, t.TempDir(), "a.pdf", 256<<10)}
	r := u.run("", args...)
	if r.code != 4 || !strings.Contains(r.stderr, "run the same command again") || lose.Lost.Load() == 0 {
		t.Fatalf("exit %d, want 4 (%d answers lost):\n%s", r.code, lose.Lost.Load(), r.stderr)
	}
	phrase := phraseOf(t, r)
	if uploadURL(t, u) != "" {
		t.Fatal("an upload URL was kept that the server never gave")
	}
	lose.LosePosts(0)
	r = u.run("", args...)
	if r.code != 0 || !strings.Contains(r.stderr, "resuming") || r.stdout != "" {
		t.Fatalf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pendingEmpty(t, u)
	if st := u.ok(phrase+"\n", "status", "--server", srv.URL); !strings.Contains(st.stdout, "received") {
		t.Fatalf("the phrase shown does not find the submission: %s", st.stdout)
	}
}

// TestSubmitRestart: --restart throws an interrupted submission away
// (the server's upload is terminated) and starts over with a new phrase.
func TestSubmitRestart(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	cut := clienttest.StartCutProxy(t, srv.Addr, 32<<10)
	u := newUser(t)
	args := []string{"submit", "--server", "http://" + cut.Addr, "--root-pub", srv.Keys.RootPub.String(),
		randomFile(t, t.TempDir(), "a.pdf", 1<<20)}
	first := phraseOf(t, u.run("", args...))
	cut.SetEvery(1 << 40)
	r := u.ok("", append(args, "--restart")...)
	if second := phraseOf(t, r); second == first {
		t.Fatal("--restart kept the old phrase")
	}
	if n := srv.Requests()["DELETE"]; n != 1 {
		t.Fatalf("the old upload was not terminated (%d DELETEs)", n)
	}
	pendingEmpty(t, u)
}

// TestSubmitResealsUnusableSpool: an interrupted submission whose sealed
// bundle cannot be trusted (its sealing never finished: the program was
// killed; or its spool was torn: the device lost power) is sealed again
// on the next run, under the phrase already shown: no new phrase, the
// old upload terminated, and what the officers open is the file sent.
func TestSubmitResealsUnusableSpool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc   string
		damage func(t *testing.T, dir string)
	}{
		{desc: "sealing never finished", damage: func(t *testing.T, dir string) {
			var st uploadState
			data, err := os.ReadFile(filepath.Join(dir, stateFile))
			if err != nil || json.Unmarshal(data, &st) != nil {
				t.Fatal("cannot read the state", err)
			}
			st.Sealed, st.SealedCRC = false, 0
			if err := saveState(dir, st); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(filepath.Join(dir, sealedFile), 1000); err != nil {
				t.Fatal(err)
			}
		}},
		{desc: "spool torn by a power loss", damage: func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, sealedFile), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, 4096), 200<<10); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			srv := clienttest.StartServer(t)
			cut := clienttest.StartCutProxy(t, srv.Addr, 32<<10) // no chunk gets through
			u := newUser(t)
			file := randomFile(t, t.TempDir(), "a.pdf", 1<<20)
			args := []string{"submit", "--server", "http://" + cut.Addr, "--root-pub", srv.Keys.RootPub.String(), file}
			r := u.run("", args...)
			if r.code != 4 {
				t.Fatalf("exit %d, want 4:\n%s", r.code, r.stderr)
			}
			phrase := phraseOf(t, r)
			dirs, _ := filepath.Glob(filepath.Join(u.state, "pending", "*"))
			if len(dirs) != 1 {
				t.Fatalf("pending: %v", dirs)
			}
			st, ok, err := loadState(dirs[0])
			if err != nil || !ok || !st.Sealed {
				t.Fatalf("the sealing was not finished and recorded before exit 4: %+v %v", st, err)
			}
			tc.damage(t, dirs[0])

			cut.SetEvery(1 << 40)
			r = u.ok("", args...)
			if r.stdout != "" {
				t.Fatalf("the resumed run printed a new phrase: %q", r.stdout)
			}
			if !strings.Contains(r.stderr, "sealing them again") {
				t.Fatalf("the resumed run did not seal again:\n%s", r.stderr)
			}
			if n := srv.Requests()["DELETE"]; n != 1 {
				t.Fatalf("the old upload was not terminated (%d DELETEs)", n)
			}
			checkDelivered(t, u, srv, phrase, file)
		})
	}
}

// TestSubmitSealingFails: a file that cannot be sealed as announced (it
// reads longer than its size, as files under /proc do) stops the
// submission after its phrase was shown: exit 1, a message that says the
// phrase is void, the server's upload terminated and nothing left behind.
func TestSubmitSealingFails(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	u := newUser(t)
	receiptOut := filepath.Join(t.TempDir(), "phrase.txt")
	r := u.run("", "submit", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String(), "--receipt-out", receiptOut, "/proc/self/status")
	if r.code != 1 || !strings.Contains(r.stderr, "sealing failed") || !strings.Contains(r.stderr, "void") {
		t.Fatalf("exit %d, want 1 with a clear message:\n%s", r.code, r.stderr)
	}
	// The void phrase's file goes too, so the same command, once the cause
	// is fixed, writes the new phrase there.
	if _, err := os.Lstat(receiptOut); err == nil {
		t.Fatal("the void phrase is left in the --receipt-out file")
	}
	if post, del := srv.Requests()["POST"], srv.Requests()["DELETE"]; post != del {
		t.Fatalf("%d uploads created, %d terminated", post, del)
	}
	if subs, _ := srv.Store.Submissions(context.Background()); len(subs) != 0 {
		t.Fatalf("a submission was stored: %+v", subs)
	}
	pendingEmpty(t, u)
}

// expiredUpload is a submit of the file f cut off (exit 4) with its upload
// sealed (or, with reseal, its sealing left unfinished), then the
// server's clock moved past the upload's expiry day (7 days) with no
// sweep run and the way to the server cleared: args runs the same
// command again. With storeBehind the store's clock stays behind the
// server's, so the store still counts the upload as holding its
// submission id, as refuge-server did before an expired upload freed it.
// It returns the receipt phrase shown and the upload's folder and state.
func expiredUpload(t *testing.T, reseal, storeBehind bool) (srv *clienttest.Server, u *user, f string, args []string, phrase, dir string, st uploadState) {
	t.Helper()
	var days atomic.Int64 // how far the server's clock is ahead
	srv = clienttest.Setup(t, nil, nil, nil, 0)
	srv.Now = func() time.Time { return time.Now().AddDate(0, 0, int(days.Load())) }
	if storeBehind {
		srv.StoreNow = time.Now
	}
	srv.Start(t)
	cut := clienttest.StartCutProxy(t, srv.Addr, 32<<10) // less than the smallest chunk
	u = newUser(t)
	f = randomFile(t, t.TempDir(), "a.pdf", 1<<20)
	args = []string{"submit", "--server", "http://" + cut.Addr, "--root-pub", srv.Keys.RootPub.String(), f}
	r := u.run("", args...)
	if r.code != 4 {
		t.Fatalf("first run: exit %d, want 4:\n%s", r.code, r.stderr)
	}
	phrase = phraseOf(t, r)
	dir, st = pendingState1(t, u)
	if st.UploadURL == "" || !st.Sealed {
		t.Fatalf("the interrupted run kept no sealed upload: %+v", st)
	}
	if reseal {
		st.Sealed = false
		if err := saveState(dir, st); err != nil {
			t.Fatal(err)
		}
	}
	days.Store(8)
	cut.SetEvery(1 << 40)
	return srv, u, f, args, phrase, dir, st
}

// TestSubmitResumesExpiredUpload: an interrupted upload is resumed days
// later, after the server's expiry day but before its hourly sweep has
// removed it. The server answers the upload 410 (expired); the run must
// send the submission afresh under the phrase already shown, and say it
// went only once the server holds it. It used to take the 409 of the new
// creation (the expired upload still held the submission id) for "the
// upload had completed", say so, and delete the ciphertext on the
// device: nothing had reached the officers. Both ways back are tried:
// the sealed bundle resumed, and a sealing that never finished (sealed
// again, the old upload terminated first).
func TestSubmitResumesExpiredUpload(t *testing.T) {
	t.Parallel()
	for _, reseal := range []bool{false, true} {
		t.Run(map[bool]string{false: "sealed", true: "sealing unfinished"}[reseal], func(t *testing.T) {
			t.Parallel()
			srv, u, f, args, phrase, _, _ := expiredUpload(t, reseal, false)
			r := u.run("", args...)
			// (Sealing again says so; the sealed bundle's new upload is told.)
			if r.code != 0 || strings.Contains(r.stderr, "had completed") || (!reseal && !strings.Contains(r.stderr, "sending it again from the start")) || r.stdout != "" {
				t.Fatalf("the run after expiry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			checkDelivered(t, u, srv, phrase, f)
		})
	}
}

// TestSubmitExpiredUploadStillHeld: a server that answers an expired
// upload 410 but still holds its submission id until its hourly sweep
// (as refuge-server did before an expired upload freed its id; here the
// store's clock stays behind the server's, so the store still counts the
// upload as holding the id) answers the new creation 409. The run must
// not take that for a completed upload: it stops, exit 4, says nothing
// reached the officers, and keeps everything on the device; once the
// sweep has run, the same command sends the submission under the phrase
// already shown.
func TestSubmitExpiredUploadStillHeld(t *testing.T) {
	t.Parallel()
	for _, reseal := range []bool{false, true} {
		t.Run(map[bool]string{false: "sealed", true: "sealing unfinished"}[reseal], func(t *testing.T) {
			t.Parallel()
			srv, u, f, args, phrase, dir, st := expiredUpload(t, reseal, true)
			r := u.run("", args...)
			if r.code != 4 || strings.Contains(r.stderr, "had completed") || strings.Contains(r.stderr, "submitted") ||
				!strings.Contains(r.stderr, "nothing was sent to the officers") || !strings.Contains(r.stderr, "run the same command again") {
				t.Fatalf("the run after expiry: exit %d, want 4 and nothing claimed\n%s%s", r.code, r.stdout, r.stderr)
			}
			// The state stays, saying the upload expired, with the key of
			// the new creation and no URL.
			after, st2 := pendingState1(t, u)
			if after != dir || !st2.Sealed || !st2.Expired || st2.UploadURL != "" || st2.CreationKey == "" ||
				st2.SubmissionID != st.SubmissionID || st2.ReplyRecipient != st.ReplyRecipient || st2.Size != st.Size {
				t.Fatalf("the state on the device: %+v, was %+v", st2, st)
			}
			if fi, err := os.Stat(filepath.Join(dir, sealedFile)); err != nil || fi.Size() != st.Size {
				t.Fatalf("the sealed bundle on the device is gone or cut: %v", err)
			}
			if s := u.run(phrase+"\n", "status", "--server", srv.URL); s.code == 0 {
				t.Fatalf("the server holds a submission that was never sent: %s", s.stdout)
			}
			// The sweep, as refuge-server runs it hourly on its own day.
			if n, err := srv.Store.ExpireUploads(context.Background(), store.DayOf(time.Now().AddDate(0, 0, 8))); err != nil || n != 1 {
				t.Fatalf("ExpireUploads: %d, %v", n, err)
			}
			r = u.run("", args...)
			if r.code != 0 || strings.Contains(r.stderr, "had completed") || r.stdout != "" {
				t.Fatalf("the run after the sweep: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			checkDelivered(t, u, srv, phrase, f)
		})
	}
}

// TestSubmitRemovedUploadCreationAnswerLost: an interrupted upload that
// the server has since removed (expired and swept: 404) is created again
// under a new creation key; that creation reaches the server but its
// answer is lost, every time (exit 4). The next run must ask again with
// that key and finish the upload, not throw the key away: a creation
// under yet another key finds the id held by the upload the lost answer
// made, and the run used to take that 409 for "the upload had
// completed", say "submitted" and delete the sealed bundle, with nothing
// at the officers.
func TestSubmitRemovedUploadCreationAnswerLost(t *testing.T) {
	t.Parallel()
	var days atomic.Int64 // how far the server's clock is ahead
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	srv.Now = func() time.Time { return time.Now().AddDate(0, 0, int(days.Load())) }
	srv.Start(t)
	cut := clienttest.StartCutProxy(t, srv.Addr, 32<<10) // less than the smallest chunk
	lose := clienttest.StartLoseProxy(t, cut.Addr)
	u := newUser(t)
	f := randomFile(t, t.TempDir(), "a.pdf", 1<<20)
	args := []string{"submit", "--server", "http://" + lose.Addr, "--root-pub", srv.Keys.RootPub.String(), f}
	r := u.run("", args...)
	if r.code != 4 || uploadURL(t, u) == "" {
		t.Fatalf("first run: exit %d, want 4 with the upload kept:\n%s", r.code, r.stderr)
	}
	phrase := phraseOf(t, r)
	days.Store(8)
	if n, err := srv.Store.ExpireUploads(context.Background(), store.DayOf(time.Now().AddDate(0, 0, 8))); err != nil || n != 1 {
		t.Fatalf("ExpireUploads: %d, %v", n, err)
	}
	cut.SetEvery(1 << 40)
	lose.LosePosts(1 << 20)
	r = u.run("", args...)
	if r.code != 4 || lose.Lost.Load() == 0 {
		t.Fatalf("second run: exit %d, want 4 (%d answers lost):\n%s", r.code, lose.Lost.Load(), r.stderr)
	}
	lose.LosePosts(0)
	r = u.run("", args...)
	if r.code != 0 || strings.Contains(r.stderr, "had completed") || r.stdout != "" {
		t.Fatalf("third run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkDelivered(t, u, srv, phrase, f)
}
