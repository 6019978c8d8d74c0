package client_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"refuge/client"
	"refuge/client/clienttest"
)

// TestFirstChunkSmall: the first chunk was 8 MiB, which a link of 20 KB/s
// (Tor in a censored country) takes 7 minutes to carry, all that time with
// nothing acknowledged to show. It is now 256 KiB by default, and a fast
// link grows it from the second chunk on, as before (fourfold or twofold,
// as fast as the chunks go): never smaller, in no more chunks than
// doubling takes.
func TestFirstChunkSmall(t *testing.T) {
	t.Parallel()
	const size = 4 << 20
	var mu sync.Mutex
	var chunks []int64
	ts := &tusServer{heads: []int64{0}, length: size,
		patch: func(off, n int64) int64 { return off + n },
		onPatch: func(_, n int64) {
			mu.Lock()
			chunks = append(chunks, n)
			mu.Unlock()
		}}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	c := newClient(t, client.Options{Server: srv.URL})
	if err := c.Upload(context.Background(), srv.URL+"/v1/uploads/x", "", strings.NewReader(strings.Repeat("x", size)), size, nil); err != nil {
		t.Fatal(err)
	}
	sum := int64(0)
	for i, n := range chunks {
		sum += n
		if i > 0 && i < len(chunks)-1 && n < chunks[i-1] {
			t.Fatalf("chunks %v: one shrank on a clean link", chunks)
		}
	}
	// Doubling alone: 256 KiB, 256 KiB, 512 KiB, 1 MiB, 2 MiB.
	if len(chunks) < 2 || chunks[0] != 256<<10 || chunks[1] != 256<<10 || len(chunks) > 5 || sum != size {
		t.Fatalf("chunks %v, want 256 KiB twice, then growing, in at most 5 for %d bytes", chunks, size)
	}
}

// TestSlowLinkShowsSending: through a link that stops passing bytes in
// the middle of the first chunk (a proxy that holds them, to a real
// server), nothing is acknowledged, so progress stays at 0, while the
// bytes of the chunk on their way are counted apart (what the progress
// line shows as on its way). Once the link moves again the
// upload completes, with nothing left counted as on its way.
func TestSlowLinkShowsSending(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	hold := clienttest.StartHoldProxy(t, srv.Addr, 64<<10)
	c := newClient(t, client.Options{Server: "http://" + hold.Addr})
	u, data := createdSealed(t, srv, c, 1<<20)
	var acked, sending atomic.Int64
	done := make(chan error, 1)
	// Not a file: the first chunk is read whole before its first byte
	// goes out (a file goes by sendfile(2), counted as each call returns).
	go func() {
		done <- c.UploadSending(context.Background(), u, "", bytes.NewReader(data), int64(len(data)), &acked, &sending)
	}()
	select {
	case <-hold.Holding:
	case err := <-done:
		t.Fatalf("the upload was not held: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the upload never reached the proxy's limit")
	}
	if a, s := acked.Load(), sending.Load(); a != 0 || s != 256<<10 {
		t.Fatalf("held in the first chunk: %d acknowledged, %d on the way; want 0 and the chunk's %d", a, s, 256<<10)
	}
	hold.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if a, s := acked.Load(), sending.Load(); a != int64(len(data)) || s != 0 {
		t.Fatalf("at the end %d acknowledged, %d on the way; want %d and 0", a, s, len(data))
	}
}
