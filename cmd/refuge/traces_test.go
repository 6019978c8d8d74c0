package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"refuge/client"
	"refuge/client/clienttest"
	"refuge/crypto/bundle"
)

// canaryContent is the plaintext of every file the test sends: a line
// that can be found in any copy of a part of it.
const canaryContent = "canary-plaintext: the officers must read this, no device may keep it\n"

// device is a person's device as far as refuge can reach it: the user's
// state folder and a private temporary folder ($TMPDIR).
type device struct {
	*user
	tmp string
}

func newDevice(t *testing.T) *device {
	u := newUser(t)
	d := &device{user: u, tmp: t.TempDir()}
	u.env = append(u.env, "TMPDIR="+d.tmp)
	return d
}

// canaryFile writes a file of n bytes of canaryContent.
func canaryFile(t *testing.T, dir, name string, n int) string {
	t.Helper()
	p := filepath.Join(dir, name)
	b := bytes.Repeat([]byte(canaryContent), n/len(canaryContent)+1)[:n]
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// left lists every path under the device's state folder ("state/…") and
// its temporary folder ("tmp/…"), folders with a trailing slash, and
// returns the bytes of every file.
func (d *device) left(t *testing.T) ([]string, map[string][]byte) {
	t.Helper()
	var paths []string
	data := map[string][]byte{}
	for _, root := range []struct{ name, dir string }{{"state", d.state}, {"tmp", d.tmp}} {
		err := filepath.WalkDir(root.dir, func(p string, en fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root.dir, p)
			if rel == "." {
				return nil
			}
			name := root.name + "/" + filepath.ToSlash(rel)
			switch {
			case en.IsDir():
				name += "/"
			case en.Type().IsRegular():
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				data[name] = b
			default:
				name += " (" + en.Type().String() + ")"
			}
			paths = append(paths, name)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(paths)
	return paths, data
}

// expectLeft checks that the device holds exactly the paths that match
// want (filepath.Match patterns, each matching at least one path), and
// that no file there holds any of secrets. It returns the files' bytes.
func (d *device) expectLeft(t *testing.T, after string, secrets []string, want ...string) map[string][]byte {
	t.Helper()
	paths, data := d.left(t)
	matched := make([]bool, len(want))
	for _, p := range paths {
		ok := false
		for i, w := range want {
			if m, _ := filepath.Match(w, p); m {
				matched[i], ok = true, true
			}
		}
		if !ok {
			t.Errorf("after %s, the device holds %s, which nothing should leave", after, p)
		}
	}
	for i, w := range want {
		if !matched[i] {
			t.Errorf("after %s, nothing on the device matches %s; it holds:\n%s", after, w, strings.Join(paths, "\n"))
		}
	}
	for name, b := range data {
		for _, s := range secrets {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(s))) {
				t.Errorf("after %s, %s holds %q", after, name, s)
			}
		}
	}
	return data
}

// TestDeviceTraces: what refuge leaves on a device, after each command a
// defender or a partner runs against a real refuge-server: the complete
// list of paths in the state folder and in a private $TMPDIR, and that no
// file there holds the receipt phrase, a file or folder name, the note, a
// referral's form, or any plaintext sent or received. A file that starts
// being left behind makes it fail: SECURITY.md ("What a defender's device
// holds") says what is there.
func TestDeviceTraces(t *testing.T) {
	t.Parallel()
	p := newPartner(t)
	srv := p.srv
	src := t.TempDir()
	folder := filepath.Join(src, "canary-folder-name")
	os.Mkdir(folder, 0o700)
	canaryFile(t, folder, "canary-file-name.pdf", 300<<10)
	note := canaryFile(t, src, "canary-note-name.txt", 200)
	secrets := []string{"canary-folder-name", "canary-file-name", "canary-note-name", canaryContent[:40], src}

	// init: the profile and nothing else.
	d := newDevice(t)
	d.ok("", "init", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String())
	profile := d.expectLeft(t, "init", secrets, "state/profile.json")["state/profile.json"]
	if !bytes.Contains(profile, []byte(srv.URL)) || !bytes.Contains(profile, []byte(srv.Keys.RootPub.String())) {
		t.Errorf("the profile does not hold what SECURITY.md says: %s", profile)
	}

	// submit: the profile and the manifest versions seen; the upload's
	// state is gone.
	phrase := phraseOf(t, d.ok("", "submit", "--note-file", note, folder))
	secrets = append(secrets, phrase)
	// The lock of the versions seen, empty, stays; so does the folder of
	// unfinished uploads, empty.
	afterSubmit := []string{"state/profile.json", "state/seen-manifests.json", "state/seen-manifests.json.lock", "state/pending/"}
	data := d.expectLeft(t, "submit", secrets, afterSubmit...)
	if len(data["state/seen-manifests.json.lock"]) != 0 {
		t.Errorf("the lock of the versions seen is not empty: %q", data["state/seen-manifests.json.lock"])
	}

	// status changes nothing.
	d.ok(phrase+"\n", "status")
	d.expectLeft(t, "status", secrets, afterSubmit...)

	// replies, shown and saved: a signed reply with a message and a file.
	keys := derive(t, phrase)
	replyText := "canary-reply: come to the interview"
	reply := canaryFile(t, src, "canary-reply-file.txt", 1000)
	replyFile := bundle.File{Name: "canary-reply-file.txt", Size: 1000, Open: func() (io.ReadCloser, error) { return os.Open(reply) }}
	pushReplies(t, srv, keys.SubmissionID(), replyBundle(t, keys, bundle.Contents{Note: []byte(replyText),
		Files: []bundle.File{replyFile}, Sign: signer(srv.Keys.AckPriv)}))
	secrets = append(secrets, replyText, "canary-reply-file")
	if r := d.ok(phrase+"\n", "replies"); !strings.Contains(r.stdout, replyText) {
		t.Fatalf("replies: %s", r.stdout)
	}
	d.expectLeft(t, "replies", secrets, afterSubmit...)
	out := filepath.Join(t.TempDir(), "replies")
	d.ok(phrase+"\n", "replies", "-o", out)
	d.expectLeft(t, "replies -o", secrets, afterSubmit...)

	// seal: the bundle and its ticket where -o says; on the device, the
	// manifest versions seen.
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	m, sig, err := c.Manifest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mdir := t.TempDir()
	mf := filepath.Join(mdir, "manifest.json")
	os.WriteFile(mf, m, 0o600)
	os.WriteFile(mf+".minisig", sig, 0o600)
	s := newDevice(t)
	sealed := filepath.Join(t.TempDir(), "bundle.age")
	sealPhrase := phraseOf(t, s.ok("", "seal", "--manifest", mf, "--root-pub", srv.Keys.RootPub.String(), "-o", sealed, "--note-file", note, folder))
	secrets = append(secrets, sealPhrase)
	s.expectLeft(t, "seal", secrets, "state/seen-manifests.json", "state/seen-manifests.json.lock")
	if out, _ := filepath.Glob(filepath.Join(filepath.Dir(sealed), "*")); !slices.Equal(out, []string{sealed, sealed + ".ticket"}) {
		t.Errorf("seal's output folder holds %v", out)
	}

	// refer, by a partner: what submit leaves.
	pd := newDevice(t)
	pd.env = append(pd.env, "REFUGE_TOKEN="+srv.Partner)
	pd.ok("", "init", "--server", srv.URL, "--root-pub", srv.Keys.RootPub.String())
	form := p.form("canary-defender-name")
	referPhrase := phraseOf(t, pd.ok("", append(append(p.base, form...), "--note-file", note, folder)...))
	secrets = append(secrets, referPhrase, "canary-defender-name")
	pd.expectLeft(t, "refer", secrets, afterSubmit...)

	// submit killed in the middle of the upload and not resumed: the
	// upload's state and the ciphertext not yet sent.
	k := newDevice(t)
	slow := clienttest.StartSlowProxy(t, srv.Addr, 8<<20)
	big := canaryFile(t, folder, "canary-file-name-big.bin", 24<<20)
	args := []string{"submit", "--server", "http://" + slow, "--root-pub", srv.Keys.RootPub.String(), big}
	sc, err := client.New(client.Options{Server: "http://" + slow, Proxy: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	var offset int64
	killedPhrase := killMidUpload(t, k.user, args, func() bool {
		if _, st := pendingState1(t, k.user); st.Sealed && st.UploadURL != "" {
			offset, _, _ = sc.UploadOffset(context.Background(), uploadURL(t, k.user), "")
		}
		return offset > 0
	})
	secrets = append(secrets, killedPhrase)
	data = k.expectLeft(t, "submit killed", secrets, "state/seen-manifests.json", "state/seen-manifests.json.lock",
		"state/pending/", "state/pending/*/", "state/pending/*/state.json", "state/pending/*/bundle.age", "state/pending/*/lock")
	for name, b := range data {
		if strings.HasSuffix(name, "/state.json") && !bytes.Contains(b, []byte(`"submission_id"`)) {
			t.Errorf("%s does not hold what SECURITY.md says: %s", name, b)
		}
	}
}

// TestRepliesKilledLeavesNoPlaintext: refuge replies opens each reply in a
// private folder of the state folder; killed (SIGKILL) while it waits for
// the second reply, it leaves the first one's message and file there. The
// next run removes that folder, and leaves alone the one of a run still at
// work, which then finishes and shows both replies. Nothing is left.
func TestRepliesKilledLeavesNoPlaintext(t *testing.T) {
	t.Parallel()
	srv, u, phrase := submitted(t, "report.pdf", 4<<10)
	keys := derive(t, phrase)
	src := t.TempDir()
	attached := canaryFile(t, src, "canary-reply-file.txt", 1000)
	file := bundle.File{Name: "canary-reply-file.txt", Size: 1000, Open: func() (io.ReadCloser, error) { return os.Open(attached) }}
	pushReplies(t, srv, keys.SubmissionID(),
		replyBundle(t, keys, bundle.Contents{Note: []byte("canary-reply one"), Files: []bundle.File{file}, Sign: signer(srv.Keys.AckPriv)}),
		replyBundle(t, keys, bundle.Contents{Note: []byte("canary-reply two"), Sign: signer(srv.Keys.AckPriv)}))

	// A link to the server that lets the first reply downloaded through
	// and holds every other one until the end of the test.
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	first := ""
	held := make(chan struct{}, 2)
	release := make(chan struct{})
	link := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := strings.Index(r.URL.Path, "/replies/"); i >= 0 {
			id := r.URL.Path[i+len("/replies/"):]
			mu.Lock()
			if first == "" {
				first = id
			}
			hold := id != first
			mu.Unlock()
			if hold {
				held <- struct{}{}
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(link.Close)
	letGo := sync.OnceFunc(func() { close(release) })
	t.Cleanup(letGo)
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := u.command(strings.NewReader(phrase+"\n"), "replies", "--server", link.URL)
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		<-held
		return cmd, &out
	}
	temps := func() []string {
		dirs, _ := filepath.Glob(filepath.Join(u.state, "replies-*"))
		return dirs
	}

	killed, _ := start()
	if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed.Wait()
	left := temps()
	if len(left) != 1 {
		t.Fatalf("the killed run left %v", left)
	}
	notes, _ := filepath.Glob(filepath.Join(left[0], "open-*", "*", "note.txt"))
	if len(notes) != 1 {
		t.Fatalf("the killed run left no opened reply in %s: the test no longer shows what it is for", left[0])
	}

	running, out := start()
	var busy []string
	for _, d := range temps() {
		if d != left[0] {
			busy = append(busy, d)
		}
	}
	if len(busy) != 1 {
		t.Fatalf("the running run's folder: %v", temps())
	}
	if r := u.ok(phrase+"\n", "replies"); !strings.Contains(r.stdout, "canary-reply two") {
		t.Fatalf("replies: %s", r.stdout)
	}
	if got := temps(); !slices.Equal(got, busy) {
		t.Fatalf("after the next run, the state folder holds %v; want only %v, the running run's", got, busy)
	}
	letGo()
	if err := running.Wait(); err != nil || !strings.Contains(out.String(), "canary-reply two") {
		t.Fatalf("the run held during the next one: %v\n%s", err, out)
	}
	if got := temps(); len(got) != 0 {
		t.Fatalf("left behind: %v", got)
	}
}
