package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

func TestOptions(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.do("OPTIONS", "/v1/uploads", nil, nil)
	if resp.StatusCode != 204 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := map[string]string{
		"Tus-Resumable":          "1.0.0",
		"Tus-Version":            "1.0.0",
		"Tus-Extension":          "creation,termination,checksum,expiration",
		"Tus-Checksum-Algorithm": "sha1,sha256,crc32c",
		"Tus-Max-Size":           strconv.Itoa(64 << 30),
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestOneRequestUpload(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(100 << 10)
	loc := e.create(len(body), s.meta()+","+meta("filename", "secret.pdf"), "")
	resp, b := e.patch(loc, 0, body)
	if resp.StatusCode != 204 {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	if resp.Header.Get("Upload-Offset") != strconv.Itoa(len(body)) || resp.Header.Get("Tus-Resumable") != "1.0.0" {
		t.Fatalf("headers %v", resp.Header)
	}
	if resp.Header.Get("Upload-Expires") == "" {
		t.Error("no Upload-Expires on PATCH")
	}
	sub, err := e.st.Submission(context.Background(), s.id)
	if err != nil {
		t.Fatal(err)
	}
	if sub.SHA256 != sha256.Sum256(body) || sub.Size != int64(len(body)) {
		t.Fatal("stored submission does not match the upload")
	}
}

func TestManyChunkUpload(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(300 << 10)
	loc := e.create(len(body), s.meta(), "")
	const chunk = 17 << 10
	for off := 0; off < len(body); off += chunk {
		end := min(off+chunk, len(body))
		sum := sha256.Sum256(body[off:end])
		resp, b := e.patch(loc, off, body[off:end], "Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(sum[:]))
		if resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != strconv.Itoa(end) {
			t.Fatalf("chunk at %d: %d %s", off, resp.StatusCode, b)
		}
	}
	e.checkCiphertext(s.id, body)
}

// checkCiphertext downloads a submission as the courier and compares.
func (e *env) checkCiphertext(id string, want []byte) {
	e.t.Helper()
	resp, got := e.do("GET", "/v1/submissions/"+id+"/ciphertext", nil, bearer(e.courier))
	if resp.StatusCode != 200 || !bytes.Equal(got, want) {
		e.t.Fatalf("ciphertext: status %d, %d bytes, want %d", resp.StatusCode, len(got), len(want))
	}
}

// rawPatch sends a PATCH over a raw connection: headers promising
// Content-Length total, then only part, then (if cut) closes.
func rawPatch(t testing.TB, url, loc string, off int, total int, part []byte, cut bool) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: %d\r\nContent-Length: %d\r\n\r\n", loc, off, total)
	if _, err := c.Write(part); err != nil {
		t.Fatal(err)
	}
	if cut {
		c.Close()
	}
	return c
}

// waitOffset polls HEAD until the upload's offset is want (the server may
// still be finishing the cut request), bounded to 10 s.
func (e *env) waitOffset(loc string, want int) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := e.offset(loc)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("offset %d, want %d", got, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// patchWhenFree is PATCH retried while the server is still finishing the
// cut request on the same upload (409 "another request"), as a client
// does, bounded to 10 s.
func (e *env) patchWhenFree(loc string, off int, chunk []byte) (*http.Response, []byte) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, b := e.patch(loc, off, chunk)
		if resp.StatusCode != 409 || !strings.Contains(string(b), "another request") || time.Now().After(deadline) {
			return resp, b
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestResumeAfterCutConnection(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(200 << 10)
	loc := e.create(len(body), s.meta(), "")
	half := len(body) / 2
	rawPatch(t, e.url, loc, 0, len(body), body[:half], true)
	e.waitOffset(loc, half)
	head, _ := e.do("HEAD", loc, nil, tusHdr())
	if head.Header.Get("Upload-Length") != strconv.Itoa(len(body)) || head.Header.Get("Upload-Metadata") != "kind YW5vbnltb3Vz,submission-id "+base64.StdEncoding.EncodeToString([]byte(s.id)) {
		t.Fatalf("HEAD headers: %v", head.Header)
	}
	resp, b := e.patchWhenFree(loc, half, body[half:])
	if resp.StatusCode != 204 {
		t.Fatalf("resume: %d %s", resp.StatusCode, b)
	}
	e.checkCiphertext(s.id, body)
}

func TestChecksumMismatch(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(10 << 10)
	loc := e.create(len(body), s.meta(), "")
	resp, b := e.patch(loc, 0, body[:1000])
	if resp.StatusCode != 204 {
		t.Fatalf("first chunk: %d %s", resp.StatusCode, b)
	}
	wrong := sha256.Sum256([]byte("something else"))
	resp, b = e.patch(loc, 1000, body[1000:2000], "Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(wrong[:]))
	if resp.StatusCode != 460 || apiError(t, b).Code != "checksum_mismatch" {
		t.Fatalf("mismatch: %d %s", resp.StatusCode, b)
	}
	if got := e.offset(loc); got != 1000 {
		t.Fatalf("offset after mismatch %d, want 1000", got)
	}
	sha1sum := sha1Sum(body[1000:])
	resp, b = e.patch(loc, 1000, body[1000:], "Upload-Checksum", "sha1 "+base64.StdEncoding.EncodeToString(sha1sum))
	if resp.StatusCode != 204 {
		t.Fatalf("sha1 chunk: %d %s", resp.StatusCode, b)
	}
	e.checkCiphertext(s.id, body)
}

func TestOffsetMismatch(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(10 << 10)
	loc := e.create(len(body), s.meta(), "")
	for _, off := range []int{1, 500} {
		resp, b := e.patch(loc, off, body[off:])
		if resp.StatusCode != 409 {
			t.Fatalf("offset %d: %d %s", off, resp.StatusCode, b)
		}
	}
	if got := e.offset(loc); got != 0 {
		t.Fatalf("offset %d", got)
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(10 << 10)
	loc := e.create(len(body), s.meta(), "")
	resp, _ := e.patch(loc, 0, body[:100])
	if resp.StatusCode != 204 {
		t.Fatal(resp.Status)
	}
	e.clock.days.Store(8)
	resp, _ = e.do("HEAD", loc, nil, tusHdr())
	if resp.StatusCode != 410 {
		t.Fatalf("HEAD of expired upload: %d", resp.StatusCode)
	}
	resp, b := e.patch(loc, 100, body[100:])
	if resp.StatusCode != 410 {
		t.Fatalf("PATCH of expired upload: %d %s", resp.StatusCode, b)
	}
	n, err := e.st.ExpireUploads(context.Background(), e.today())
	if err != nil || n != 1 {
		t.Fatalf("ExpireUploads = %d, %v", n, err)
	}
}

func TestTermination(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	loc := e.create(1000, s.meta(), "")
	resp, _ := e.do("DELETE", loc, nil, tusHdr())
	if resp.StatusCode != 204 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	resp, _ = e.do("HEAD", loc, nil, tusHdr())
	if resp.StatusCode != 404 {
		t.Fatalf("HEAD after DELETE: %d", resp.StatusCode)
	}
	// The submission id is free again.
	e.create(1000, s.meta(), "")
}

func TestRangeDownload(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(64 << 10)
	e.submit(s, body)
	path := "/v1/submissions/" + s.id + "/ciphertext"
	for _, tc := range []struct {
		name, rng  string
		status     int
		start, end int
	}{
		{"single range", "bytes=100-1099", 206, 100, 1100},
		{"open range", fmt.Sprintf("bytes=%d-", len(body)-10), 206, len(body) - 10, len(body)},
		{"suffix range", "bytes=-500", 206, len(body) - 500, len(body)},
		{"past the end", fmt.Sprintf("bytes=%d-", len(body)+10), 416, 0, 0},
		{"garbage", "bytes=z-q", 416, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bearer(e.courier)
			h["Range"] = tc.rng
			resp, got := e.do("GET", path, nil, h)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 206 && !bytes.Equal(got, body[tc.start:tc.end]) {
				t.Fatal("wrong bytes")
			}
			if resp.Header.Get("ETag") != "" || resp.Header.Get("Last-Modified") != "" {
				t.Fatal("validators on a download")
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/v1/manifest", "/nope", "/v1/submissions"} {
		resp, _ := e.do("GET", path, nil, nil)
		h := resp.Header
		if h.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
			h.Get("Cache-Control") != "no-store" || h.Get("ETag") != "" || h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

// TestSlowBodyKeepsWhatArrived trickles a body below the minimum rate: the
// server cuts it with 408 and keeps the bytes that arrived.
func TestSlowBodyKeepsWhatArrived(t *testing.T) {
	e := newEnv(t, func(c *serverConfig) {
		c.MinBodyRate = 1 << 20
		c.BodyRateWindow = 200 * time.Millisecond
	})
	s := newSubmitter()
	body := e.bundle(10 << 10)
	loc := e.create(len(body), s.meta(), "")
	c := rawPatch(t, e.url, loc, 0, len(body), body[:10], false)
	defer c.Close()
	for i := 10; i < 25; i++ {
		if _, err := c.Write(body[i : i+1]); err != nil {
			break // the server cut us
		}
		time.Sleep(20 * time.Millisecond) // the slow client, not synchronisation
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 408 || apiError(t, b).Code != "timeout" {
		t.Fatalf("slow body: %d %s", resp.StatusCode, b)
	}
	got := e.offset(loc)
	if got < 10 {
		t.Fatalf("offset %d: the bytes that arrived were not kept", got)
	}
	resp2, b2 := e.patchWhenFree(loc, got, body[got:])
	if resp2.StatusCode != 204 {
		t.Fatalf("resume: %d %s", resp2.StatusCode, b2)
	}
	e.checkCiphertext(s.id, body)
}

// A new manifest changes at once how many recipients a completed upload
// must have, though the server remembers the count between uploads.
func TestCompletionFollowsManifest(t *testing.T) {
	e := newEnv(t)
	e.submit(newSubmitter(), e.bundle(1000)) // the count of the first manifest is now remembered
	third, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	rs := append(e.recipients(), third.Recipient().String())
	mb, sig := e.signManifest(7, rs, e.ackPub, 30)
	if resp, b := e.do("PUT", "/v1/manifest", []byte(manifestPut(mb, sig)), map[string]string{"Authorization": "Bearer " + e.courier, "Content-Type": "application/json"}); resp.StatusCode != 200 {
		t.Fatalf("manifest v7: %d %s", resp.StatusCode, b)
	}
	tests := []struct {
		desc   string
		body   []byte
		status int
	}{
		{"sealed to the old manifest's two officers", e.bundle(1000), 422},
		{"sealed to the new manifest's three", sealed(t, 1000, e.officers[0].Recipient(), e.officers[1].Recipient(), third.Recipient()), 204},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			loc := e.create(len(tc.body), newSubmitter().meta(), "")
			if resp, b := e.patch(loc, 0, tc.body); resp.StatusCode != tc.status {
				t.Fatalf("PATCH: %d %s, want %d", resp.StatusCode, b, tc.status)
			}
		})
	}
}
