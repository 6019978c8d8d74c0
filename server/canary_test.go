package server_test

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"refuge/crypto/bundle"
)

// TestCanary uploads a sealed bundle with a canary inside, a file name and a
// phrase in tus metadata and a distinctive User-Agent, then searches every
// file of the data directory and the server's log for any of them and
// for the client's address.
func TestCanary(t *testing.T) {
	e := newEnv(t)
	const (
		canary    = "CANARY-7f3a9c-refuge-plaintext"
		fileName  = "passport-scan-of-amina.pdf"
		phrase    = "abandon ability able about above absent absorb abstract absurd abuse access accident"
		userAgent = "RefugeCanaryAgent/9.9 (distinctive)"
	)
	s := newSubmitter()
	content := []byte(strings.Repeat(canary+" "+phrase+"\n", 100))
	var buf bytes.Buffer
	_, err := bundle.Seal(&buf, []age.Recipient{e.officers[0].Recipient(), e.officers[1].Recipient()}, bundle.Contents{
		Files: []bundle.File{{Name: fileName, Size: int64(len(content)), Open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(content)), nil
		}}},
		Note:         []byte(canary),
		SubmissionID: s.id,
		Kind:         bundle.KindAnonymous,
	})
	if err != nil {
		t.Fatal(err)
	}
	body := buf.Bytes()

	send := func(method, path string, b []byte, h map[string]string) *http.Response {
		h["User-Agent"] = userAgent
		h["X-Forwarded-For"] = "127.0.0.1"
		resp, _ := e.do(method, path, b, h)
		return resp
	}
	h := tusHdr("Upload-Length", itoa(uint64(len(body))),
		"Upload-Metadata", s.meta()+","+meta("filename", fileName, "phrase", phrase, "note", canary))
	resp := send("POST", "/v1/uploads", nil, h)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	half := len(body) / 2
	for _, part := range []struct{ off, end int }{{0, half}, {half, len(body)}} {
		resp := send("PATCH", loc, body[part.off:part.end], tusHdr("Upload-Offset", itoa(uint64(part.off)), "Content-Type", "application/offset+octet-stream"))
		if resp.StatusCode != 204 {
			t.Fatalf("patch: %d", resp.StatusCode)
		}
	}
	// Some failures too, which a careless server would log.
	send("PATCH", loc, []byte(canary), tusHdr("Upload-Offset", "0", "Content-Type", "application/offset+octet-stream"))
	send("GET", "/v1/submissions/"+s.id+"/status", nil, bearer(s.token))
	send("GET", "/v1/submissions/"+s.id+"/status", nil, map[string]string{"Authorization": "Bearer " + strings.Repeat("0", 64)})
	send("GET", "/"+fileName, nil, map[string]string{})
	e.checkCiphertext(s.id, body)
	// What the courier pulls, the officer opens: the canary is in there.
	out := t.TempDir()
	res, err := bundle.Open(bytes.NewReader(body), []age.Identity{e.officers[1]}, out, bundle.Options{})
	if err != nil || res.SubmissionID != s.id {
		t.Fatalf("open: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(res.Dir, "files", fileName)); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("opened file: %v", err)
	}

	needles := []string{canary, fileName, phrase, "127.0.0.1", userAgent, "RefugeCanaryAgent", s.token}
	logs := e.log.String()
	for _, n := range needles {
		if strings.Contains(logs, n) {
			t.Errorf("the server log contains %q", n)
		}
	}
	files := 0
	err = filepath.WalkDir(e.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s contains %q", filepath.Base(path), n)
			}
		}
		return nil
	})
	if err != nil || files < 2 {
		t.Fatalf("walked %d files: %v", files, err)
	}
}
