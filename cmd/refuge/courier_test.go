package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"refuge/client/clienttest"
)

// A key manifest the officers signed travels in the courier's outbox and
// push publishes it: the server serves it at once, and the files move to
// sent/. Hostile or broken ones (another root key, expired, tampered, no
// signature, too large, a folder) are refused and left in place, and the
// served manifest does not change.
func TestCourierPushesManifest(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	courier := newUser(t)
	outbox := t.TempDir()
	served := func() []byte {
		t.Helper()
		resp, err := http.Get(srv.URL + "/v1/manifest")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	put := func(m, sig []byte) {
		t.Helper()
		os.WriteFile(filepath.Join(outbox, "manifest.json"), m, 0o600)
		if sig != nil {
			os.WriteFile(filepath.Join(outbox, "manifest.json.minisig"), sig, 0o600)
		}
	}
	push := func() result {
		return courier.run("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, outbox)
	}

	m2, s2 := srv.Keys.Manifest(t, 2, "2099-12-31")
	put(m2, s2)
	r := push()
	if r.code != 0 || !strings.Contains(r.stderr, "published key manifest version 2") || !strings.Contains(r.stderr, "pushed the key manifest, 0 replies and 0 acknowledgements") {
		t.Fatalf("push of a new manifest: exit %d\n%s", r.code, r.stderr)
	}
	if !bytes.Equal(served(), m2) {
		t.Fatal("the server does not serve the pushed manifest")
	}
	for _, name := range []string{"manifest.json", "manifest.json.minisig"} {
		if _, err := os.Stat(filepath.Join(outbox, "sent", name)); err != nil {
			t.Fatalf("%s not moved to sent/: %v", name, err)
		}
	}
	// The same one again (carried twice): already there, moved to sent/.
	put(m2, s2)
	// The summary does not claim a manifest pushed.
	if r := push(); r.code != 0 || !strings.Contains(r.stderr, "already has this key manifest or a newer one") ||
		strings.Contains(r.stderr, "pushed the key manifest") || !strings.Contains(r.stderr, "pushed 0 replies and 0 acknowledgements") {
		t.Fatalf("push of the same manifest again: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(outbox, "manifest.json")); !os.IsNotExist(err) {
		t.Fatal("a manifest already published was left in the outbox")
	}

	other := clienttest.NewKeys(t)
	m3, s3 := other.Manifest(t, 3, "2099-12-31")
	expired, expiredSig := srv.Keys.Manifest(t, 4, "2020-06-30")
	tampered := bytes.Replace(m2, []byte(`"version":2`), []byte(`"version":5`), 1)
	tests := []struct {
		desc      string
		m, sig    []byte
		folder    bool
		want, not string
	}{
		{desc: "signed by another root key", m: m3, sig: s3, want: "the server refused it"},
		{desc: "expired", m: expired, sig: expiredSig, want: "the server refused it"},
		{desc: "tampered", m: tampered, sig: s2, want: "the server refused it"},
		{desc: "no signature", m: m3, want: "has no signature beside it"},
		{desc: "too large", m: bytes.Repeat([]byte("x"), 64<<10+1), sig: s2, want: "larger than a key manifest can be"},
		{desc: "a folder", folder: true, want: "manifest.json: is a directory\n"},
	}
	for _, tc := range tests {
		os.RemoveAll(filepath.Join(outbox, "manifest.json"))
		os.Remove(filepath.Join(outbox, "manifest.json.minisig"))
		if tc.folder {
			os.Mkdir(filepath.Join(outbox, "manifest.json"), 0o700)
		} else {
			put(tc.m, tc.sig)
		}
		r := push()
		refusedLine := "the server refused 1 file, still in " + outbox + ": " + filepath.Join(outbox, "manifest.json") + "; the rest went through\n"
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "refused, left in place") || !strings.Contains(r.stderr, refusedLine) {
			t.Errorf("%s: exit %d, want 1 with %q\n%s", tc.desc, r.code, tc.want, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(outbox, "manifest.json")); err != nil {
			t.Errorf("%s: not left in place: %v", tc.desc, err)
		}
		if !bytes.Equal(served(), m2) {
			t.Fatalf("%s: the served manifest changed", tc.desc)
		}
	}
}

// A push from a folder that is not the officers' outbox (a mistyped path,
// a file, or the media's root, which holds inbox/ but no outbox) is
// refused with exit 1 and says what to give, where it would have pushed
// nothing and reported success. An outbox already pushed (only sent/ in
// it) still pushes nothing and succeeds.
func TestCourierPushRefusesWrongFolder(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	courier := newUser(t)
	media := t.TempDir()
	os.Mkdir(filepath.Join(media, "inbox"), 0o700)
	os.WriteFile(filepath.Join(media, "notes.txt"), []byte("x"), 0o600)
	const hint = `refuge: hint: give the officers' outbox: the folder that "refuge-officer open --outbox" and "refuge-officer reply -o" wrote to (such as /media/usb/outbox)`
	for _, tc := range []struct {
		desc, dir, msg string
	}{
		{"a folder that is not there", filepath.Join(media, "outbx"), "cannot push from " + filepath.Join(media, "outbx") + ": no such file or directory"},
		{"a file", filepath.Join(media, "notes.txt"), "cannot push from " + filepath.Join(media, "notes.txt") + ": it is a file, not a folder"},
		{"the media's root", media, media + " holds nothing to push: no replies, acks or manifest.json in it"},
	} {
		r := courier.run("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, tc.dir)
		if want := "refuge: error: " + tc.msg + "\n" + hint + "\n"; r.code != 1 || r.stderr != want {
			t.Fatalf("%s: exit %d\n%s\nwant\n%s", tc.desc, r.code, r.stderr, want)
		}
	}
	if left, _ := os.ReadDir(media); len(left) != 2 {
		t.Fatalf("a refused push changed the media: %v", left)
	}
	pushed := filepath.Join(media, "outbox")
	os.MkdirAll(filepath.Join(pushed, "sent"), 0o700)
	if r := courier.run("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, pushed); r.code != 0 || !strings.Contains(r.stderr, "pushed 0 replies and 0 acknowledgements") {
		t.Fatalf("an outbox pushed before: exit %d\n%s", r.code, r.stderr)
	}
}
