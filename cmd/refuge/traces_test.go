package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
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

	"aead.dev/minisign"

	"refuge/client"
	"refuge/client/clienttest"
	"refuge/crypto/bundle"
	"refuge/crypto/receipt"
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
// want (filepath.Match patterns, each matching at least one path, unless
// it begins with "?": a path that may or may not be there), and that no
// file there holds any of secrets. It returns the files' bytes.
func (d *device) expectLeft(t *testing.T, after string, secrets []string, want ...string) map[string][]byte {
	t.Helper()
	paths, data := d.left(t)
	matched := make([]bool, len(want))
	for _, p := range paths {
		ok := false
		for i, w := range want {
			if m, _ := filepath.Match(strings.TrimPrefix(w, "?"), p); m {
				matched[i], ok = true, true
			}
		}
		if !ok {
			t.Errorf("after %s, the device holds %s, which nothing should leave", after, p)
		}
	}
	for i, w := range want {
		if !matched[i] && !strings.HasPrefix(w, "?") {
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
	// A kill that lands while the state is saved leaves the new state in
	// a temporary file beside it (writeFileAtomic), which the next run
	// removes: it holds what state.json does.
	data = k.expectLeft(t, "submit killed", secrets, "state/seen-manifests.json", "state/seen-manifests.json.lock",
		"state/pending/", "state/pending/*/", "state/pending/*/state.json", "state/pending/*/bundle.age", "state/pending/*/lock",
		"?state/pending/*/.tmp-*")
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

// snapshot lists what the device holds, for comparing before and after
// a command: every path under its state folder and its temporary folder,
// the folders themselves included, each with its mode and modification
// time and, for a file, a hash of its bytes. A folder's modification time
// changes when anything is created in it, even if removed again. A state
// folder that does not exist is "state: absent".
func (d *device) snapshot(t *testing.T) []string {
	t.Helper()
	var lines []string
	for _, root := range []struct{ name, dir string }{{"state", d.state}, {"tmp", d.tmp}} {
		if _, err := os.Lstat(root.dir); errors.Is(err, fs.ErrNotExist) {
			lines = append(lines, root.name+": absent")
			continue
		}
		err := filepath.WalkDir(root.dir, func(p string, en fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := en.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root.dir, p)
			line := fmt.Sprintf("%s/%s %v %d", root.name, filepath.ToSlash(rel), fi.Mode(), fi.ModTime().UnixNano())
			if fi.Mode().IsRegular() {
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				line += fmt.Sprintf(" %x", sha256.Sum256(b))
			}
			lines = append(lines, line)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(lines)
	return lines
}

// TestDeviceTracesOnFailure: a command that fails before it has anything
// to keep leaves the device exactly as it was: a forged or expired key
// manifest, a root key that did not sign it, a server that does not
// answer, a command line refused, a file name mistyped, a receipt phrase
// the server does not know. On a device where refuge never ran, the state
// folder is still not there afterwards; on one where refuge init ran, it
// holds the profile alone, unchanged, and no folder in it was even
// touched. Nothing is left in $TMPDIR either. Each command runs against a
// real server on 127.0.0.1, or a port there where nothing listens.
func TestDeviceTracesOnFailure(t *testing.T) {
	t.Parallel()
	good := clienttest.StartServer(t)
	goodPub := good.Keys.RootPub.String()

	// A server whose manifest was changed after it was signed, and one
	// whose manifest expired.
	fkeys := clienttest.NewKeys(t)
	fm, fsig := fkeys.Manifest(t, 2, "2099-12-31")
	fm = bytes.Replace(fm, []byte("2099-12-31"), []byte("2099-12-30"), 1)
	forged := clienttest.Setup(t, fkeys, fm, fsig, 2).Start(t)
	ekeys := clienttest.NewKeys(t)
	em, esig := ekeys.Manifest(t, 2, "2020-06-30")
	expired := clienttest.Setup(t, ekeys, em, esig, 2).Start(t)
	other, _, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherPub := other.String()

	// A port on 127.0.0.1 where nothing listens.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + ln.Addr().String()
	ln.Close()

	// The files: one that exists, one mistyped, and the manifests that
	// refuge seal is given.
	src := t.TempDir()
	file := canaryFile(t, src, "canary-file-name.pdf", 20<<10)
	missing := filepath.Join(src, "canary-file-nmae.pdf")
	mdir := t.TempDir()
	writeManifest := func(name string, m, sig []byte) string {
		p := filepath.Join(mdir, name)
		os.WriteFile(p, m, 0o600)
		os.WriteFile(p+".minisig", sig, 0o600)
		return p
	}
	gm, gsig := good.Keys.Manifest(t, 1, "2099-12-31")
	goodManifest := writeManifest("good.json", gm, gsig)
	forgedManifest := writeManifest("forged.json", fm, fsig)
	expiredManifest := writeManifest("expired.json", em, esig)
	sealOut := filepath.Join(t.TempDir(), "bundle.age")

	// A receipt phrase that no server knows.
	ph, err := receipt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	text, err := ph.Text()
	if err != nil {
		t.Fatal(err)
	}
	unknown := string(text.Bytes()) + "\n"
	text.Destroy()

	// A partner's referral and a bundle sealed offline for relay.
	p := newPartner(t)
	sealer := newDevice(t)
	bundleFile := filepath.Join(t.TempDir(), "canary-bundle.age")
	sealer.ok("", "seal", "--manifest", goodManifest, "--root-pub", goodPub, "-o", bundleFile, file)

	to := func(srv string, pub string) []string { return []string{"--server", srv, "--root-pub", pub} }
	with := func(a []string, b ...string) []string { return append(append([]string(nil), a...), b...) }
	tests := []struct {
		name  string
		env   []string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"submit, manifest forged", nil, "", with([]string{"submit"}, with(to(forged.URL, fkeys.RootPub.String()), file)...), 3, "refused"},
		{"submit, manifest expired", nil, "", with([]string{"submit"}, with(to(expired.URL, ekeys.RootPub.String()), file)...), 3, "expired"},
		{"submit, wrong root key", nil, "", with([]string{"submit"}, with(to(good.URL, otherPub), file)...), 3, "refused"},
		{"submit, server unreachable", nil, "", with([]string{"submit"}, with(to(unreachable, goodPub), file)...), 4, "run the same command again"},
		{"submit, unknown flag", nil, "", []string{"submit", "--nope", file}, 2, "--nope"},
		{"submit, server not https", nil, "", with([]string{"submit"}, with(to("http://example.org", goodPub), file)...), 2, "https"},
		{"submit, malformed root key", nil, "", with([]string{"submit"}, with(to(good.URL, "RWnot-a-key"), file)...), 2, "--root-pub"},
		{"submit, mistyped file name", nil, "", with([]string{"submit"}, with(to(good.URL, goodPub), missing)...), 1, "cannot read"},
		{"submit, mistyped note file", nil, "", with([]string{"submit"}, with(to(good.URL, goodPub), "--note-file", missing, file)...), 1, "cannot read"},
		{"status, unknown phrase", nil, unknown, with([]string{"status"}, to(good.URL, goodPub)...), 1, "no submission matches"},
		{"status, server unreachable", nil, unknown, with([]string{"status"}, to(unreachable, goodPub)...), 4, ""},
		{"status, unexpected argument", nil, unknown, []string{"status", "abandon"}, 2, ""},
		{"replies, unknown phrase", nil, unknown, with([]string{"replies"}, to(good.URL, goodPub)...), 1, "no submission matches"},
		{"replies -o, unknown phrase", nil, unknown, with([]string{"replies", "-o", filepath.Join(t.TempDir(), "out")}, to(good.URL, goodPub)...), 1, "no submission matches"},
		{"replies, server unreachable", nil, unknown, with([]string{"replies"}, to(unreachable, goodPub)...), 4, ""},
		{"seal, manifest forged", nil, "", []string{"seal", "--manifest", forgedManifest, "--root-pub", fkeys.RootPub.String(), "-o", sealOut, file}, 3, "refused"},
		{"seal, manifest expired", nil, "", []string{"seal", "--manifest", expiredManifest, "--root-pub", ekeys.RootPub.String(), "-o", sealOut, file}, 3, "expired"},
		{"seal, wrong root key", nil, "", []string{"seal", "--manifest", goodManifest, "--root-pub", otherPub, "-o", sealOut, file}, 3, "refused"},
		{"seal, mistyped file name", nil, "", []string{"seal", "--manifest", goodManifest, "--root-pub", goodPub, "-o", sealOut, missing}, 1, "canary-file-nmae"},
		{"seal, mistyped manifest name", nil, "", []string{"seal", "--manifest", missing, "--root-pub", goodPub, "-o", sealOut, file}, 1, "cannot read the key manifest"},
		{"init, server not https", nil, "", []string{"init", "--server", "http://example.org", "--root-pub", goodPub}, 2, "https"},
		{"init, malformed root key", nil, "", []string{"init", "--server", good.URL, "--root-pub", "RWnot-a-key"}, 2, "--root-pub"},
		{"refer, server unreachable", []string{"REFUGE_TOKEN=" + p.srv.Partner}, "", with(p.base, with(to(unreachable, p.srv.Keys.RootPub.String()), with(p.form("canary-defender-name"), file)...)...), 4, ""},
		{"refer, mistyped file name", []string{"REFUGE_TOKEN=" + p.srv.Partner}, "", with(p.base, with(to(p.srv.URL, p.srv.Keys.RootPub.String()), with(p.form("canary-defender-name"), missing)...)...), 1, "no such file"},
		{"relay, server unreachable", []string{"REFUGE_TOKEN=" + good.Partner}, "", []string{"relay", "--server", unreachable, bundleFile}, 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, initialised := range []bool{false, true} {
				d := newDevice(t)
				d.state = filepath.Join(t.TempDir(), "refuge") // absent until something is kept
				d.env = append(d.env, tt.env...)
				if initialised {
					d.ok("", "init", "--server", good.URL, "--root-pub", goodPub)
				}
				before := d.snapshot(t)
				r := d.run(tt.stdin, tt.args...)
				if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
					t.Fatalf("initialised %v: exit %d, want %d with %q\nstderr: %s", initialised, r.code, tt.code, tt.want, r.stderr)
				}
				if after := d.snapshot(t); !slices.Equal(after, before) {
					t.Errorf("initialised %v: the device held\n%s\nand holds after the failure\n%s", initialised, strings.Join(before, "\n"), strings.Join(after, "\n"))
				}
				if _, err := os.Lstat(sealOut); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s was written", sealOut)
				}
			}
		})
	}
}

// TestStateFolderMadeWhenKept: on a device where refuge never ran, the
// state folder appears with the first thing a command keeps, owner-only
// (0700, its files 0600), and so do the parents it makes for a
// REFUGE_STATE_DIR whose parents do not exist either: refuge init's
// profile, submit's manifest version and upload folder, replies' manifest
// version with a root key. refuge replies without a root key keeps
// nothing: the private folder it opens the replies in goes, and the state
// folder and the parents it made for it with it, innermost first; a
// folder that was there before stays. Before, replies left the parents
// it made.
func TestStateFolderMadeWhenKept(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	pub := srv.Keys.RootPub.String()
	file := canaryFile(t, t.TempDir(), "canary-file-name.pdf", 20<<10)
	fresh := func() *device {
		d := newDevice(t)
		d.state = filepath.Join(t.TempDir(), "absent", "nested", "refuge")
		return d
	}
	private := func(d *device, after string) {
		t.Helper()
		for dir := d.state; filepath.Base(dir) != "absent"; dir = filepath.Dir(dir) {
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("after %s, %s is not 0700: %v, %v", after, dir, fi, err)
			}
		}
		filepath.WalkDir(filepath.Dir(filepath.Dir(d.state)), func(p string, en fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, _ := en.Info()
			want := fs.FileMode(0o600)
			if en.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm() != want {
				t.Errorf("after %s, %s has mode %v, want %v", after, p, fi.Mode().Perm(), want)
			}
			return nil
		})
	}

	d := fresh()
	d.ok("", "init", "--server", srv.URL, "--root-pub", pub)
	d.expectLeft(t, "init", nil, "state/profile.json")
	private(d, "init")

	d = fresh()
	phrase := phraseOf(t, d.ok("", "submit", "--server", srv.URL, "--root-pub", pub, file))
	d.expectLeft(t, "submit", nil, "state/seen-manifests.json", "state/seen-manifests.json.lock", "state/pending/")
	private(d, "submit")

	keys := derive(t, phrase)
	pushReplies(t, srv, keys.SubmissionID(), replyBundle(t, keys, bundle.Contents{Note: []byte("canary-reply"), Sign: signer(srv.Keys.AckPriv)}))
	d = fresh()
	if r := d.ok(phrase+"\n", "replies", "--server", srv.URL, "--root-pub", pub); !strings.Contains(r.stdout, "canary-reply") {
		t.Fatalf("replies: %s\n%s", r.stdout, r.stderr)
	}
	d.expectLeft(t, "replies with a root key", nil, "state/seen-manifests.json", "state/seen-manifests.json.lock")
	private(d, "replies with a root key")

	// Without a root key: the state folder alone is missing, or it and
	// two parents, below a folder that was there, empty.
	for _, nested := range [][]string{{"refuge"}, {"there", "absent", "nested", "refuge"}} {
		base := t.TempDir()
		if len(nested) > 1 {
			if err := os.Mkdir(filepath.Join(base, nested[0]), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		d = newDevice(t)
		d.state = filepath.Join(append([]string{base}, nested...)...)
		before, tree := d.snapshot(t), namesUnder(t, base)
		if r := d.ok(phrase+"\n", "replies", "--server", srv.URL); !strings.Contains(r.stdout, "canary-reply") || !strings.Contains(r.stderr, "no root key") {
			t.Fatalf("replies: %s\n%s", r.stdout, r.stderr)
		}
		if after := d.snapshot(t); !slices.Equal(after, before) {
			t.Errorf("replies without a root key: the device held\n%s\nand holds\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
		}
		if after := namesUnder(t, base); !slices.Equal(after, tree) {
			t.Errorf("replies without a root key, REFUGE_STATE_DIR %s: the folder above held %q and holds %q", filepath.Join(nested...), tree, after)
		}
	}
}

// namesUnder lists the paths under dir, folders with a trailing slash.
func namesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, en fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if en.IsDir() {
			rel += "/"
		}
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
