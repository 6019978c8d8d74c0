package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"refuge/client"
	"refuge/server/api"
	"refuge/server/store"
)

// damageToken overwrites, in the database file of the running server,
// every copy of the stored record of the token tok: its verifier no
// longer reads as hex, as a failing disk could leave it. bbolt reads its
// file through a shared mapping, so the store meets the damage at its
// next read; with repair, the bytes are put back.
func (e *env) damageToken(tok string, repair bool) {
	e.t.Helper()
	raw, err := hex.DecodeString(tok)
	if err != nil {
		e.t.Fatal(err)
	}
	v := sha256.Sum256(raw)
	good := []byte(`"verifier":"` + hex.EncodeToString(v[:]))
	bad := bytes.Clone(good)
	bad[len(`"verifier":"`)] = 'x'
	if repair {
		good, bad = bad, good
	}
	path := filepath.Join(e.dir, "refuge.db")
	data, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for off := 0; ; {
		i := bytes.Index(data[off:], good)
		if i < 0 {
			break
		}
		if _, err := f.WriteAt(bad, int64(off+i)); err != nil {
			e.t.Fatal(err)
		}
		off += i + len(good)
		n++
	}
	if n == 0 {
		e.t.Fatal("the token's record is not in the database file")
	}
}

// patchHeld sends a PATCH of body at off and, once the server has begun
// to read the body (it answers "100 Continue" then), calls meanwhile
// before it sends the body. It returns the answer.
func (e *env) patchHeld(loc string, off int, body []byte, meanwhile func()) (*http.Response, []byte) {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: %d\r\nContent-Type: application/offset+octet-stream\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", loc, off, len(body))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		e.t.Fatalf("waiting for 100 Continue: %q, %v", line, err)
	}
	br.ReadString('\n') // the empty line after it
	meanwhile()
	if _, err := c.Write(body); err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestCompletionKeepsUploadWhenTokenUnreadable: the completion asks again
// whether the token that created the upload is active. Before, if that
// look-up failed (the store could not read the token's record), the
// upload was rejected and deleted as if the token were revoked: a fully
// received relay was lost to a fault of the server's own. Now the last
// chunk is kept, the upload recorded fully received, and the answer is
// 503, which clients retry; HEAD answers 5xx and deletes nothing while
// the record cannot be read; once it can (at once, or after a restart of
// the server), the real client's retry (its HEAD) completes the upload,
// as does a PATCH with an empty body at the full offset, with the bytes
// and the hash that were sent.
func TestCompletionKeepsUploadWhenTokenUnreadable(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"retry", "restart", "empty PATCH"} {
		e := newEnv(t)
		ctx := context.Background()
		tok := e.addToken(store.RolePartner, "office")
		sub := newSubmitter()
		body := e.bundle(8 << 10)
		loc := e.create(len(body), meta(api.MetaKind, "relay", api.MetaSubmissionID, sub.id), tok)
		id := strings.TrimPrefix(loc, "/v1/uploads/")
		if resp, b := e.patch(loc, 0, body[:1000]); resp.StatusCode != 204 {
			t.Fatalf("%s: first chunk: %d %s", how, resp.StatusCode, b)
		}
		resp, b := e.patchHeld(loc, 1000, body[1000:], func() { e.damageToken(tok, false) })
		if resp.StatusCode != 503 || apiError(t, b).Code != api.CodeUnavailable {
			t.Fatalf("%s: last chunk with the token unreadable: %d %s, want 503", how, resp.StatusCode, b)
		}
		if u, err := e.st.Upload(ctx, id); err != nil || u.Offset != int64(len(body)) {
			t.Fatalf("%s: upload after the undecided completion: %+v, %v; want it kept, fully received", how, u, err)
		}
		if resp, _ := e.do("HEAD", loc, nil, tusHdr()); resp.StatusCode < 500 {
			t.Fatalf("%s: HEAD with the token unreadable: %d, want a 5xx", how, resp.StatusCode)
		}
		if u, err := e.st.Upload(ctx, id); err != nil || u.Offset != int64(len(body)) {
			t.Fatalf("%s: upload after HEAD: %+v, %v; want it kept, fully received", how, u, err)
		}
		if _, err := e.st.Submission(ctx, sub.id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: submission before the record reads again: %v, want none", how, err)
		}
		if !strings.Contains(e.log.String(), "token look-up") {
			t.Fatalf("%s: the fault is not in the log: %s", how, e.log.String())
		}

		if how == "restart" {
			if err := e.st.Close(); err != nil {
				t.Fatal(err)
			}
			e.srv.Close()
			e.damageToken(tok, true)
			st, err := store.Open(e.dir, store.Options{Now: e.clock.now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			e.st = st
			e.serve()
		} else {
			e.damageToken(tok, true)
		}
		if how == "empty PATCH" {
			// What a tus client may send when HEAD says all is there.
			resp, b := e.patch(loc, len(body), []byte{})
			if resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != strconv.Itoa(len(body)) {
				t.Fatalf("%s: %d %s, want 204 at offset %d", how, resp.StatusCode, b, len(body))
			}
		} else {
			c, err := client.New(client.Options{Server: e.url, Proxy: "direct"})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Upload(ctx, loc, "", bytes.NewReader(body), int64(len(body)), nil); err != nil {
				t.Fatalf("%s: the client's retry: %v", how, err)
			}
		}
		s, err := e.st.Submission(ctx, sub.id)
		if err != nil || s.SHA256 != sha256.Sum256(body) || s.Size != int64(len(body)) || s.Partner != "office" {
			t.Fatalf("%s: submission after the retry: %+v, %v", how, s, err)
		}
		e.checkCiphertext(sub.id, body)
		if _, err := e.st.Upload(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: the upload is still there after its completion: %v", how, err)
		}
		if err := e.st.Check(); err != nil {
			t.Fatal(err)
		}
	}
}
