package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"refuge/client"
	"refuge/client/clienttest"
)

// tusServer is a minimal hostile tus server: it keeps nothing, answers
// HEAD with the offsets of heads in turn (the last one again and again)
// and each PATCH with patch(offset, n) as its new offset, calling
// onPatch, if set, once the chunk is read in full.
type tusServer struct {
	heads   []int64
	length  int64
	patch   func(offset, n int64) int64
	onPatch func(offset, n int64)
	headN   atomic.Int64
}

func (s *tusServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Tus-Resumable", "1.0.0")
	switch r.Method {
	case http.MethodHead:
		i := min(int(s.headN.Add(1))-1, len(s.heads)-1)
		w.Header().Set("Upload-Offset", strconv.FormatInt(s.heads[i], 10))
		w.Header().Set("Upload-Length", strconv.FormatInt(s.length, 10))
	case http.MethodPatch:
		off, _ := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
		n, _ := io.Copy(io.Discard, r.Body)
		if s.onPatch != nil {
			s.onPatch(off, n)
		}
		w.Header().Set("Upload-Offset", strconv.FormatInt(s.patch(off, n), 10))
		w.WriteHeader(http.StatusNoContent)
	}
}

// TestUploadProgressIsAcknowledged: upload progress counted every byte
// handed to the connection, so a person saw "100%" while the server had
// acknowledged half, and on a resume it went back. Now it moves only past
// what the server acknowledged. The server here reads each chunk in full
// and then acknowledges only its first half: when it has read a chunk,
// progress must still be at most what it acknowledged before.
func TestUploadProgressIsAcknowledged(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	var progress, acked atomic.Int64
	var over atomic.Int64
	ts := &tusServer{heads: []int64{0}, length: size,
		patch: func(off, n int64) int64 {
			next := off + max(n/2, 1)
			acked.Store(next)
			return next
		},
		onPatch: func(off, n int64) {
			if p := progress.Load(); p > acked.Load() {
				over.Store(p)
			}
		}}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	c := newClient(t, client.Options{Server: srv.URL, ChunkSize: 64 << 10})
	if err := c.Upload(context.Background(), srv.URL+"/v1/uploads/x", "", strings.NewReader(strings.Repeat("x", size)), size, &progress); err != nil {
		t.Fatal(err)
	}
	if p := over.Load(); p != 0 {
		t.Fatalf("progress showed %d bytes while the server had acknowledged fewer", p)
	}
	if p := progress.Load(); p != size {
		t.Fatalf("progress %d at the end, want %d", p, size)
	}
}

// TestUploadOffsetGoesBack: a server acknowledges a chunk and then, asked
// after a failure, says it holds fewer bytes. A refuge-server acknowledges
// a chunk only once it is on disk; a server that goes back could make the
// client send the same bytes for ever. It is a final error that says the
// server lost what it acknowledged, and progress does not go back.
func TestUploadOffsetGoesBack(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	var patches atomic.Int64
	ts := &tusServer{heads: []int64{0, 1000}, length: size,
		patch: func(off, n int64) int64 {
			if patches.Add(1) == 1 {
				return off + n
			}
			panic(http.ErrAbortHandler) // a cut connection
		}}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	var progress atomic.Int64
	c := newClient(t, client.Options{Server: srv.URL, ChunkSize: 64 << 10})
	err := c.Upload(context.Background(), srv.URL+"/v1/uploads/x", "", strings.NewReader(strings.Repeat("x", size)), size, &progress)
	if err == nil || !strings.Contains(err.Error(), "fewer than the 65536 it already acknowledged") || client.Temporary(err) {
		t.Fatalf("%v, want a final error saying the server went back", err)
	}
	if p := progress.Load(); p != 64<<10 {
		t.Fatalf("progress %d, want %d (what was acknowledged)", p, 64<<10)
	}
}

// TestUploadServerStopsReading: a server takes a chunk's headers and then
// reads nothing of its body. The chunk is cut after IdleTimeout without a
// byte going out, as a passing failure that the upload waits on and tries
// again; the error said "network: cancelled", as if the person had
// stopped it, and now says the server stopped taking the upload, as an
// upload that stalled (UploadStalled), not a server that never answered.
func TestUploadServerStopsReading(t *testing.T) {
	t.Parallel()
	const size = 64 << 20 // far more than the socket buffers hold
	// The server notices no closed connection while a body is unread: the
	// handler waits until the test ends.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Tus-Resumable", "1.0.0")
		if r.Method == http.MethodHead {
			w.Header().Set("Upload-Offset", "0")
			w.Header().Set("Upload-Length", strconv.Itoa(size))
			return
		}
		<-release
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var first error
	c := newClient(t, client.Options{Server: srv.URL, IdleTimeout: 200 * time.Millisecond, ChunkSize: size,
		OnRetry: func(n client.RetryNotice) {
			first = n.Err
			cancel() // one failure is what is tested
		}})
	err := c.Upload(ctx, srv.URL+"/v1/uploads/x", "", io.NewSectionReader(zeros{}, 0, size), size, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want the test's cancellation after the first failure", err)
	}
	if first == nil || !strings.Contains(first.Error(), "the server stopped taking the upload (no more of it could go out for 200ms)") || !client.Temporary(first) || !client.UploadStalled(first) {
		t.Fatalf("first failure %v, want a passing failure saying the server stopped taking the upload", first)
	}
}

// TestUploadStallAfterHandedOver: a link that stops in the middle of a
// chunk which the connection took whole (a proxy that holds the bytes,
// to a real server). The chunk was cut when no answer came within the
// wait for its headers, told as "network: timed out", which a person
// reads as a server that never answered; now it is an upload that
// stalled (UploadStalled) in words that say the server has not confirmed
// it, and the upload completes once the link moves again.
func TestUploadStallAfterHandedOver(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	hold := clienttest.StartHoldProxy(t, srv.Addr, 64<<10)
	var first atomic.Pointer[client.RetryNotice]
	c := newClient(t, client.Options{Server: "http://" + hold.Addr, Timeout: 500 * time.Millisecond,
		Retry: client.Retry{Min: 100 * time.Millisecond, Max: time.Second},
		OnRetry: func(n client.RetryNotice) {
			first.CompareAndSwap(nil, &n)
			hold.Release()
		}})
	u, data := createdSealed(t, srv, c, 1<<20)
	if err := c.Upload(context.Background(), u, "", bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	n := first.Load()
	if n == nil {
		t.Fatal("the upload went through without a stall")
	}
	if want := "network: the server has not confirmed the last part of the upload for 500ms (it stopped taking the upload, or the link is very slow)"; n.Err.Error() != want || !client.UploadStalled(n.Err) || !client.Temporary(n.Err) {
		t.Fatalf("the stall was told as %q, want %q, as an upload that stalled", n.Err, want)
	}
}

type zeros struct{}

func (zeros) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	return len(p), nil
}
