package client_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"refuge/client"
)

// trickleLimit bounds the requests a trickle test's server answers: past
// it, it answers 404, so that a client that would go on for ever ends
// with an error other than the one the test wants, instead of hanging.
const trickleLimit = 200

// TestUploadTrickleAcknowledged: a hostile server answers every chunk 204
// and acknowledges one byte of it. Any gain reset the count of failures,
// so the client sent chunk after chunk, one byte a time, for ever. A gain
// under 64 KiB (short of the chunk) now counts as a failure: the client
// gives up after the retry policy's attempts, saying why.
func TestUploadTrickleAcknowledged(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	var patches atomic.Int64
	ts := &tusServer{heads: []int64{0}, length: size,
		patch: func(off, n int64) int64 {
			if patches.Add(1) > trickleLimit {
				return off // an impossible answer: a final error of another kind
			}
			return off + 1
		}}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	c := newClient(t, client.Options{Server: srv.URL})
	var progress atomic.Int64
	err := c.Upload(context.Background(), srv.URL+"/v1/uploads/x", "", strings.NewReader(strings.Repeat("x", size)), size, &progress)
	if err == nil || !strings.Contains(err.Error(), "acknowledged only a few bytes each") {
		t.Fatalf("%v, want giving up on a server that acknowledges a few bytes per chunk", err)
	}
	if n := patches.Load(); n != int64(quick.Attempts) {
		t.Fatalf("%d chunks sent, want %d (the retry policy's attempts)", n, quick.Attempts)
	}
	if p := progress.Load(); p != int64(quick.Attempts) {
		t.Fatalf("progress %d, want the %d bytes acknowledged", p, quick.Attempts)
	}
}

// TestUploadTrickleKept: a hostile server cuts every chunk and, asked
// for its offset, says it kept one byte more each time. That reset the
// count of failures after every cut: the client tried for ever. Now the
// chunk shrinks to its floor and then the failures count: it gives up
// after the retry policy's attempts, a passing failure (running the
// command again resumes).
func TestUploadTrickleKept(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	var held, requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Tus-Resumable", "1.0.0")
		if requests.Add(1) > trickleLimit {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		switch r.Method {
		case http.MethodHead:
			w.Header().Set("Upload-Offset", strconv.FormatInt(held.Load(), 10))
			w.Header().Set("Upload-Length", strconv.Itoa(size))
		case http.MethodPatch:
			io.Copy(io.Discard, r.Body)
			held.Add(1)
			panic(http.ErrAbortHandler) // a cut connection
		}
	}))
	defer srv.Close()
	c := newClient(t, client.Options{Server: srv.URL})
	err := c.Upload(context.Background(), srv.URL+"/v1/uploads/x", "", strings.NewReader(strings.Repeat("x", size)), size, nil)
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 failures in a row") || !client.Temporary(err) {
		t.Fatalf("%v, want giving up after the policy's 3 failures, a passing failure", err)
	}
	// 256 KiB, 128 KiB: shrinking, not counted; then 64 KiB three times.
	if n := held.Load(); n != 2+int64(quick.Attempts) {
		t.Fatalf("%d chunks sent, want %d", n, 2+quick.Attempts)
	}
}

// TestDownloadTrickle: a hostile server answers every range request of a
// download with a well-formed 206 of one byte. Each answer grew the file,
// so the client asked again at once, for ever: a megabyte took a million
// requests. A gain under 64 KiB (short of the end) now counts as a
// failure: the client gives up after the policy's attempts, saying why,
// and nothing is saved under the final name.
func TestDownloadTrickle(t *testing.T) {
	t.Parallel()
	data := make([]byte, 1<<20)
	sum := sha256.Sum256(data)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > trickleLimit {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		from := int64(0)
		fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from)
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, from, len(data)))
		w.Header().Set("Content-Length", "1")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(data[from : from+1])
	}))
	defer srv.Close()
	c := newClient(t, client.Options{Server: srv.URL})
	path := filepath.Join(t.TempDir(), "f")
	err := c.Download(context.Background(), "/v1/x", someToken, path, int64(len(data)), hex.EncodeToString(sum[:]), nil)
	if err == nil || !strings.Contains(err.Error(), "each brought only a few bytes") || !client.Temporary(err) {
		t.Fatalf("%v, want giving up on answers of a few bytes each, a passing failure", err)
	}
	if n := requests.Load(); n != int64(quick.Attempts) {
		t.Fatalf("%d requests, want %d", n, quick.Attempts)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("saved under the final name")
	}
}
