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

	"refuge/server/api"
	"refuge/server/store"
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

// TestExpiry: an upload past its expiry day answers 410 to HEAD and
// PATCH, and no longer holds its submission id: a new upload of it is
// made and completes before the sweep removes the expired one.
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
	// Told it expired, the client sends the submission again before the
	// sweep: the expired upload no longer holds the submission id.
	again := e.create(len(body), s.meta(), "")
	if resp, b := e.patch(again, 0, body); resp.StatusCode != 204 {
		t.Fatalf("PATCH of the new upload: %d %s", resp.StatusCode, b)
	}
	n, err := e.st.ExpireUploads(context.Background(), e.today())
	if err != nil || n != 1 {
		t.Fatalf("ExpireUploads = %d, %v", n, err)
	}
	e.checkCiphertext(s.id, body)
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

// TestCreateAgainWithKey: a creation sent again with the same creation
// key and fields (its answer was lost on the way) gets the same upload,
// with the bytes it holds; any other creation naming the taken
// submission id is still 409, and so is the same one once the upload
// completed.
func TestCreateAgainWithKey(t *testing.T) {
	e := newEnv(t)
	s, other := newSubmitter(), newSubmitter()
	key, otherKey := other.token, s.token // 64 random lowercase hex characters each
	withKey := s.meta() + "," + meta(api.MetaCreationKey, key)
	body := e.bundle(10 << 10)
	loc := e.create(len(body), withKey, "")
	if resp, b := e.patch(loc, 0, body[:100]); resp.StatusCode != 204 {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	if again := e.create(len(body), withKey, ""); again != loc {
		t.Fatalf("the same creation again made %s, not %s", again, loc)
	}
	if n := e.offset(loc); n != 100 {
		t.Fatalf("offset %d after the creation again, want 100", n)
	}
	for _, tc := range []struct {
		desc     string
		length   int
		metadata string
		want     int
	}{
		{"another key", len(body), s.meta() + "," + meta(api.MetaCreationKey, otherKey), 409},
		{"no key", len(body), s.meta(), 409},
		{"another length", len(body) + 1, withKey, 409},
		{"another verifier", len(body), meta(api.MetaSubmissionID, s.id, api.MetaVerifier, other.verifier(), api.MetaCreationKey, key), 409},
		{"another submission id", len(body), meta(api.MetaSubmissionID, other.id, api.MetaVerifier, s.verifier(), api.MetaCreationKey, key), 409},
		{"key in capitals", len(body), s.meta() + "," + meta(api.MetaCreationKey, strings.ToUpper(key)), 400},
		{"key too short", len(body), s.meta() + "," + meta(api.MetaCreationKey, key[:62]), 400},
	} {
		h := tusHdr("Upload-Length", strconv.Itoa(tc.length), "Upload-Metadata", tc.metadata)
		if resp, b := e.do("POST", "/v1/uploads", nil, h); resp.StatusCode != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.desc, resp.StatusCode, b, tc.want)
		}
	}
	if resp, b := e.patch(loc, 100, body[100:]); resp.StatusCode != 204 {
		t.Fatalf("last patch: %d %s", resp.StatusCode, b)
	}
	h := tusHdr("Upload-Length", strconv.Itoa(len(body)), "Upload-Metadata", withKey)
	if resp, b := e.do("POST", "/v1/uploads", nil, h); resp.StatusCode != 409 {
		t.Fatalf("the same creation after completion: %d %s, want 409", resp.StatusCode, b)
	}
}

func TestRangeDownload(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(64 << 10)
	e.submit(s, body)
	// A reply to it, which its submitter downloads with the same rules.
	replyID, _ := age.GenerateHybridIdentity()
	reply := sealed(t, 5000, replyID.Recipient())
	if resp, b := e.patch(e.create(len(reply), meta("kind", "reply", "submission-id", s.id), e.courier), 0, reply); resp.StatusCode != 204 {
		t.Fatalf("reply upload: %d %s", resp.StatusCode, b)
	}
	sub, err := e.st.Submission(context.Background(), s.id)
	if err != nil || len(sub.Replies) != 1 {
		t.Fatalf("reply: %v %+v", err, sub)
	}
	for _, d := range []struct {
		what, path string
		token      string
		body       []byte
	}{
		{"ciphertext", "/v1/submissions/" + s.id + "/ciphertext", e.courier, body},
		{"reply", "/v1/submissions/" + s.id + "/replies/" + sub.Replies[0].ID, s.token, reply},
	} {
		n := len(d.body)
		for _, tc := range []struct {
			name       string
			hdr        map[string]string
			status     int
			start, end int
		}{
			{"no range", nil, 200, 0, n},
			{"single range", map[string]string{"Range": "bytes=100-1099"}, 206, 100, 1100},
			{"one byte", map[string]string{"Range": "bytes=0-0"}, 206, 0, 1},
			{"last byte", map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", n-1, n-1)}, 206, n - 1, n},
			{"open range", map[string]string{"Range": fmt.Sprintf("bytes=%d-", n-10)}, 206, n - 10, n},
			{"from the start", map[string]string{"Range": "bytes=0-"}, 206, 0, n},
			{"end past the end", map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", n-10, n+1000)}, 206, n - 10, n},
			{"suffix range", map[string]string{"Range": "bytes=-500"}, 206, n - 500, n},
			{"suffix longer than the file", map[string]string{"Range": fmt.Sprintf("bytes=-%d", n+1)}, 206, 0, n},
			{"leading zeros", map[string]string{"Range": "bytes=0000100-0001099"}, 206, 100, 1100},
			// The conditional headers are not read: no 304, no 412, and an
			// If-Range that names no version of the file does not turn a
			// range into the whole file.
			{"If-None-Match *", map[string]string{"If-None-Match": "*"}, 200, 0, n},
			{"If-None-Match a tag", map[string]string{"If-None-Match": `"x"`}, 200, 0, n},
			{"If-Match a tag", map[string]string{"If-Match": `"x"`}, 200, 0, n},
			{"If-Modified-Since the future", map[string]string{"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, 200, 0, n},
			{"If-Unmodified-Since the past", map[string]string{"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}, 200, 0, n},
			{"If-Range a tag", map[string]string{"Range": "bytes=10-19", "If-Range": `"x"`}, 206, 10, 20},
			{"If-Range a date", map[string]string{"Range": "bytes=10-19", "If-Range": "Thu, 01 Jan 1970 00:00:00 GMT"}, 206, 10, 20},
			{"If-Match with a range", map[string]string{"Range": "bytes=-5", "If-Match": `"x"`}, 206, n - 5, n},
			{"past the end", map[string]string{"Range": fmt.Sprintf("bytes=%d-", n)}, 416, 0, 0},
			{"garbage", map[string]string{"Range": "bytes=z-q"}, 416, 0, 0},
			{"two ranges", map[string]string{"Range": "bytes=0-1,3-4"}, 416, 0, 0},
			{"two ranges with If-Range", map[string]string{"Range": "bytes=0-1,3-4", "If-Range": `"x"`}, 416, 0, 0},
		} {
			t.Run(d.what+"/"+tc.name, func(t *testing.T) {
				h := bearer(d.token)
				for k, v := range tc.hdr {
					h[k] = v
				}
				resp, got := e.do("GET", d.path, nil, h)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, got)
				}
				switch tc.status {
				case 416:
					if c := apiError(t, got).Code; c != api.CodeRange {
						t.Fatalf("code %q", c)
					}
					if cr := resp.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes */%d", n) {
						t.Fatalf("Content-Range %q", cr)
					}
				case 206:
					if cr, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end-1, n); cr != want {
						t.Fatalf("Content-Range %q, want %q", cr, want)
					}
					fallthrough
				default:
					if !bytes.Equal(got, d.body[tc.start:tc.end]) {
						t.Fatalf("wrong bytes: %d of them", len(got))
					}
					if resp.Header.Get("Content-Length") != strconv.Itoa(tc.end-tc.start) {
						t.Fatalf("Content-Length %q", resp.Header.Get("Content-Length"))
					}
				}
				if resp.Header.Get("ETag") != "" || resp.Header.Get("Last-Modified") != "" {
					t.Fatal("validators on a download")
				}
			})
		}
	}
}

// A download refused for its Range leaves the submission as it was: not
// collected, no event.
func TestRefusedRangeCollectsNothing(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	e.submit(s, e.bundle(4<<10))
	ctx := context.Background()
	events := func() int {
		evs, err := e.st.Events(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	before := events()
	for _, rng := range []string{"bytes=0-1,2-3", "bytes=99999-", "bytes=x"} {
		h := bearer(e.courier)
		h["Range"] = rng
		if resp, b := e.do("GET", "/v1/submissions/"+s.id+"/ciphertext", nil, h); resp.StatusCode != 416 {
			t.Fatalf("%s: %d %s", rng, resp.StatusCode, b)
		}
	}
	sub, err := e.st.Submission(ctx, s.id)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Status != store.StatusReceived || events() != before {
		t.Fatalf("after refused ranges: status %s, %d events (were %d)", sub.Status, events(), before)
	}
	h := bearer(e.courier)
	h["Range"] = "bytes=0-1"
	if resp, _ := e.do("GET", "/v1/submissions/"+s.id+"/ciphertext", nil, h); resp.StatusCode != 206 {
		t.Fatalf("a sound range: %d", resp.StatusCode)
	}
	if sub, _ = e.st.Submission(ctx, s.id); sub.Status != store.StatusCollected || events() != before+1 {
		t.Fatalf("after a sound range: status %s", sub.Status)
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
