package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"refuge/crypto/bundle"
	"refuge/crypto/receipt"
	"refuge/server/api"
)

// listedReply is one reply a test server lists, and the bytes it serves
// for it.
type listedReply struct {
	id   string
	body []byte
}

// repliesServer answers any phrase's reply list with replies, in that
// order, and serves each one's body at its own path.
func repliesServer(t *testing.T, replies ...listedReply) *httptest.Server {
	t.Helper()
	var list []api.Reply
	bodies := map[string][]byte{}
	for _, r := range replies {
		sum := sha256.Sum256(r.body)
		list = append(list, api.Reply{ID: r.id, Size: int64(len(r.body)), SHA256: hex.EncodeToString(sum[:]), Created: "2026-11-30"})
		bodies["/replies/"+r.id] = r.body
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/replies") {
			json.NewEncoder(w).Encode(api.ReplyList{Replies: list})
			return
		}
		for suffix, body := range bodies {
			if strings.HasSuffix(r.URL.Path, suffix) {
				w.Write(body)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// sealReply seals note to keys' reply key as a bundle of kind, for
// submission id sub.
func sealReply(t *testing.T, keys *receipt.Keys, kind, sub, note string) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := bundle.Seal(&b, []age.Recipient{keys.Recipient()}, bundle.Contents{
		Note: []byte(note), SubmissionID: sub, Kind: kind,
	}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// plainReplyBody encrypts text to keys' reply key as a plain age file.
func plainReplyBody(t *testing.T, keys *receipt.Keys, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := age.Encrypt(&b, keys.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(text))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// partials lists the partial reply folders (or anything else named like
// one) directly in dir.
func partials(t *testing.T, dir string) []string {
	t.Helper()
	got, err := filepath.Glob(filepath.Join(dir, partialReplyPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestRepliesFailedNotMarkedSaved: with -o, a reply whose save fails is
// not marked saved (no reply-<id> folder) and leaves no partial folder;
// the next run tries it again (it is not "already saved"), and once the
// cause is gone saves it, whole. The cause: the name reply-<id> taken by
// a file, by a dangling link, by a link to a folder (which is not
// followed: the folder stays empty). A listed item that is a submission
// sealed to the reply key, a reply to another submission, or a plain
// reply that is not text (refused half way through its save), is refused
// at every run: never saved, never marked, nothing left. Another reply in
// the same listing is saved in each case, and skipped as saved at the
// next run; the run exits 1 naming the reply that failed.
func TestRepliesFailedNotMarkedSaved(t *testing.T) {
	t.Parallel()
	phrase, keys := replyKeys(t)
	sub := keys.SubmissionID()
	good := listedReply{strings.Repeat("11", 16), plainReplyBody(t, keys, "the other reply")}
	goodNote := "your papers are ready\n"
	for _, tc := range []struct {
		name    string
		body    []byte
		block   func(t *testing.T, name string) // what makes the save fail, or nil
		blocked func(t *testing.T, name string) // checks the blocker is as it was
		fixable bool
	}{
		{name: "file at the name", body: sealReply(t, keys, bundle.KindReply, sub, goodNote), fixable: true,
			block: func(t *testing.T, name string) {
				if err := os.WriteFile(name, []byte("precious"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			blocked: func(t *testing.T, name string) {
				if b, err := os.ReadFile(name); err != nil || string(b) != "precious" {
					t.Errorf("the file at the name now holds %q, %v", b, err)
				}
			}},
		{name: "dangling link at the name", body: plainReplyBody(t, keys, goodNote), fixable: true,
			block: func(t *testing.T, name string) {
				if err := os.Symlink("nowhere", name); err != nil {
					t.Fatal(err)
				}
			},
			blocked: func(t *testing.T, name string) {
				if l, err := os.Readlink(name); err != nil || l != "nowhere" {
					t.Errorf("the link at the name now points to %q, %v", l, err)
				}
			}},
		{name: "link to a folder at the name", body: sealReply(t, keys, bundle.KindReply, sub, goodNote), fixable: true,
			block: func(t *testing.T, name string) {
				target := filepath.Join(filepath.Dir(filepath.Dir(name)), "elsewhere")
				if err := os.Mkdir(target, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, name); err != nil {
					t.Fatal(err)
				}
			},
			blocked: func(t *testing.T, name string) {
				target := filepath.Join(filepath.Dir(filepath.Dir(name)), "elsewhere")
				if l, err := os.Readlink(name); err != nil || l != target {
					t.Errorf("the link at the name now points to %q, %v", l, err)
				}
				if e, err := os.ReadDir(target); err != nil || len(e) != 0 {
					t.Errorf("the folder the link points to holds %v, %v; want it empty", e, err)
				}
			}},
		{name: "a submission, not a reply", body: sealReply(t, keys, bundle.KindAnonymous, sub, goodNote)},
		{name: "a reply to another submission", body: sealReply(t, keys, bundle.KindReply, strings.Repeat("ef", 16), goodNote)},
		// Refused half way, once its folder was made: it used to leave an
		// empty reply-<id>, which every later run took for the saved reply.
		{name: "a plain reply that is not text", body: plainReplyBody(t, keys, "\xff\xfe\x1b[2J")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := listedReply{strings.Repeat("22", 16), tc.body}
			srv := repliesServer(t, target, good)
			u := newUser(t)
			out := filepath.Join(t.TempDir(), "replies")
			if err := os.Mkdir(out, 0o700); err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(out, "reply-"+target.id)
			if tc.block != nil {
				tc.block(t, name)
			}
			for run := 1; run <= 2; run++ {
				r := u.run(phrase+"\n", "replies", "--server", srv.URL, "-o", out)
				if r.code != 1 || !strings.Contains(r.stderr, "1 reply of 2 not shown or not saved: 1") {
					t.Fatalf("run %d: exit %d, want 1 naming reply 1\nstdout %s\nstderr %s", run, r.code, r.stdout, r.stderr)
				}
				if strings.Contains(r.stderr, "reply 1 of 2 is already saved") {
					t.Fatalf("run %d: the failed reply was marked saved:\n%s", run, r.stderr)
				}
				if tc.blocked != nil {
					tc.blocked(t, name)
				} else if _, err := os.Lstat(name); err == nil {
					t.Fatalf("run %d: the refused item was saved as %s", run, name)
				}
				if p := partials(t, out); len(p) != 0 {
					t.Fatalf("run %d: partial folders left: %v", run, p)
				}
				if b, err := os.ReadFile(filepath.Join(out, "reply-"+good.id, "message.txt")); err != nil || string(b) != "the other reply" {
					t.Fatalf("run %d: the other reply saved as %q, %v", run, b, err)
				}
				if run == 2 && !strings.Contains(r.stderr, "reply 2 of 2 is already saved") {
					t.Fatalf("run 2 did not skip the reply saved before:\n%s", r.stderr)
				}
			}
			if !tc.fixable {
				return
			}
			if err := os.Remove(name); err != nil {
				t.Fatal(err)
			}
			r := u.ok(phrase+"\n", "replies", "--server", srv.URL, "-o", out)
			if !strings.Contains(r.stdout, goodNote) || !strings.Contains(r.stderr, "reply 1 saved in") {
				t.Fatalf("once the cause is gone, the reply is not saved:\nstdout %s\nstderr %s", r.stdout, r.stderr)
			}
			saved := filepath.Join(name, "message.txt")
			if _, err := os.Stat(saved); err != nil {
				saved = filepath.Join(name, sub, "note.txt")
			}
			if b, err := os.ReadFile(saved); err != nil || string(b) != goodNote {
				t.Fatalf("the reply saved holds %q, %v", b, err)
			}
			if fi, err := os.Lstat(name); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Fatalf("the saved reply: %v, %v; want a folder of mode 0700", fi, err)
			}
			if p := partials(t, out); len(p) != 0 {
				t.Fatalf("partial folders left: %v", p)
			}
		})
	}
}

// TestRepliesStalePartialRemoved: partial reply folders that a killed run
// left in the -o folder (one empty, one with a half-written message and a
// subfolder) are removed at the next run, which saves the reply. Only
// folders named with the prefix, directly in the -o folder, go: a
// symbolic link named with the prefix (to a folder with a file in it) is
// not followed — the link and its folder stay as they were — and a file
// named with the prefix, a folder of another name and a partial folder
// one level down stay too.
func TestRepliesStalePartialRemoved(t *testing.T) {
	t.Parallel()
	phrase, keys := replyKeys(t)
	reply := listedReply{strings.Repeat("33", 16), plainReplyBody(t, keys, "hello")}
	srv := repliesServer(t, reply)
	base := t.TempDir()
	out := filepath.Join(base, "replies")
	mkdir := func(name string) {
		t.Helper()
		if err := os.MkdirAll(name, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stale1 := filepath.Join(out, partialReplyPrefix+"0123456789abcdef")
	stale2 := filepath.Join(out, partialReplyPrefix+"fedcba9876543210")
	mkdir(stale1)
	mkdir(filepath.Join(stale2, keys.SubmissionID(), ".refuge-staging-0123456789abcdef"))
	write(filepath.Join(stale2, "message.txt"), "half a mess")
	// Kept: a link named like a partial folder, to a folder of the user's.
	precious := filepath.Join(base, "precious")
	mkdir(precious)
	write(filepath.Join(precious, "keep.txt"), "keep")
	link := filepath.Join(out, partialReplyPrefix+"link")
	if err := os.Symlink(precious, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(out, partialReplyPrefix+"file")
	write(file, "a file")
	other := filepath.Join(out, "notes")
	mkdir(filepath.Join(other, partialReplyPrefix+"deeper"))

	r := newUser(t).ok(phrase+"\n", "replies", "--server", srv.URL, "-o", out)
	if !strings.Contains(r.stderr, "reply 1 saved in") {
		t.Fatalf("the reply was not saved:\n%s", r.stderr)
	}
	for _, gone := range []string{stale1, stale2} {
		if _, err := os.Lstat(gone); !os.IsNotExist(err) {
			t.Errorf("stale partial folder %s is still there (%v)", gone, err)
		}
	}
	if l, err := os.Readlink(link); err != nil || l != precious {
		t.Errorf("the link named like a partial folder: %q, %v; want it kept", l, err)
	}
	if b, err := os.ReadFile(filepath.Join(precious, "keep.txt")); err != nil || string(b) != "keep" {
		t.Errorf("the folder the link points to lost its file: %q, %v", b, err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "a file" {
		t.Errorf("the file named like a partial folder: %q, %v; want it kept", b, err)
	}
	if _, err := os.Stat(filepath.Join(other, partialReplyPrefix+"deeper")); err != nil {
		t.Errorf("a partial-named folder one level down was removed: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "reply-"+reply.id, "message.txt")); err != nil || string(b) != "hello" {
		t.Errorf("the reply saved holds %q, %v", b, err)
	}
}
