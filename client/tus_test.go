package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"refuge/client"
	"refuge/client/clienttest"
	"refuge/internal/crc32c"
	"refuge/server/api"
)

// fast is a retry policy for tests that cut the link dozens of times.
var fast = client.Retry{Attempts: 40, Min: 2 * time.Millisecond, Max: 20 * time.Millisecond}

// sealed writes n random bytes, age-encrypted to the server's officer, to
// a file and returns its path and the plaintext's SHA-256.
func sealed(t *testing.T, srv *clienttest.Server, n int64) (string, [32]byte) {
	return sealedTB(t, srv, n)
}

func sealedB(b *testing.B, srv *clienttest.Server, n int64) string {
	p, _ := sealedTB(b, srv, n)
	return p
}

func sealedTB(t testing.TB, srv *clienttest.Server, n int64) (string, [32]byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bundle.age")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	srv.Seal(t, f, io.TeeReader(io.LimitReader(rand.Reader, n), h))
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return path, sum
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// createdSealed seals n bytes for srv's officers and creates their
// anonymous upload through c: the upload's URL and the ciphertext.
func createdSealed(t *testing.T, srv *clienttest.Server, c *client.Client, n int64) (string, []byte) {
	t.Helper()
	path, _ := sealed(t, srv, n)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := anonymousMeta()
	u, err := c.CreateUpload(context.Background(), int64(len(data)), meta, "")
	if err != nil {
		t.Fatal(err)
	}
	return u, data
}

func anonymousMeta() (client.Metadata, string) {
	id := randomHex(16)
	return client.Metadata{api.MetaKind: "anonymous", api.MetaSubmissionID: id, api.MetaVerifier: randomHex(32)}, id
}

// TestCreateUploadAnswerLost: the answer to a creation is lost after the
// server made the upload. With a creation key the client asks again and
// gets that upload, which then takes the whole file; without one it does
// not ask again (a second upload would be made).
func TestCreateUploadAnswerLost(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	lose := clienttest.StartLoseProxy(t, srv.Addr)
	c, err := client.New(client.Options{Server: "http://" + lose.Addr, Proxy: "direct", Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	path, _ := sealed(t, srv, 256<<10)
	f, _ := os.Open(path)
	defer f.Close()
	fi, _ := f.Stat()
	ctx := context.Background()

	meta, _ := anonymousMeta()
	lose.LosePosts(1)
	if _, err := c.CreateUpload(ctx, fi.Size(), meta, ""); err == nil || lose.Lost.Load() != 1 {
		t.Fatalf("without a creation key: %v after %d answers lost, want an error after 1", err, lose.Lost.Load())
	}

	meta, id := anonymousMeta()
	meta[api.MetaCreationKey] = randomHex(32)
	lose.LosePosts(2)
	u, err := c.CreateUpload(ctx, fi.Size(), meta, "")
	if err != nil || lose.Lost.Load() != 3 {
		t.Fatalf("with a creation key: %v after %d answers lost in all, want none after 3", err, lose.Lost.Load())
	}
	if err := c.Upload(ctx, u, "", f, fi.Size(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.Submission(ctx, id); err != nil {
		t.Fatalf("the upload did not become the submission: %v", err)
	}
}

// uploadFile creates an upload for path and sends it all.
func uploadFile(t *testing.T, c *client.Client, path string, progress *atomic.Int64) string {
	t.Helper()
	meta, id := anonymousMeta()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	ctx := context.Background()
	u, err := c.CreateUpload(ctx, fi.Size(), meta, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, u, "", f, fi.Size(), progress); err != nil {
		t.Fatal(err)
	}
	return id
}

// checkStored opens the stored ciphertext with the officer's identity and
// compares the plaintext's SHA-256.
func checkStored(t *testing.T, srv *clienttest.Server, id string, want [32]byte) {
	t.Helper()
	ct, err := srv.Store.OpenCiphertext(context.Background(), id)
	if err != nil {
		t.Fatalf("submission not stored: %v", err)
	}
	defer ct.Close()
	r, err := age.Decrypt(ct, srv.Keys.Officer)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("stored submission does not decrypt to the original bytes")
	}
}

func TestUploadManyChunks(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", ChunkSize: 256 << 10, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	path, sum := sealed(t, srv, 3<<20+12345)
	var progress atomic.Int64
	id := uploadFile(t, c, path, &progress)
	checkStored(t, srv, id, sum)
	if fi, _ := os.Stat(path); progress.Load() != fi.Size() {
		t.Fatalf("progress %d, want %d", progress.Load(), fi.Size())
	}
	// Chunks start at 256 KiB and grow on a fast link: more than one
	// request, fewer than 3 MiB / 256 KiB.
	if n := srv.Requests()["PATCH"]; n < 4 || n >= 13 {
		t.Fatalf("%d PATCH requests for 3 MiB from 256 KiB chunks", n)
	}
}

// TestUploadResumes stops an upload part way (cancelled context) and
// checks that a second Upload continues from the server's offset.
func TestUploadResumes(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", ChunkSize: 128 << 10, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	path, sum := sealed(t, srv, 2<<20)
	f, _ := os.Open(path)
	defer f.Close()
	fi, _ := f.Stat()
	meta, id := anonymousMeta()
	u, err := c.CreateUpload(context.Background(), fi.Size(), meta, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopAt := &stopReader{ReaderAt: f, at: fi.Size() / 2, stop: cancel}
	if err := c.Upload(ctx, u, "", stopAt, fi.Size(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted upload gave %v", err)
	}
	off, length, err := c.UploadOffset(context.Background(), u, "")
	if err != nil {
		t.Fatal(err)
	}
	if off == 0 || off >= length {
		t.Fatalf("offset after interruption %d of %d", off, length)
	}
	patches := srv.Requests()["PATCH"]
	if err := c.Upload(context.Background(), u, "", f, fi.Size(), nil); err != nil {
		t.Fatal(err)
	}
	// The rest only: (length-off)/chunk PATCHes, not the whole file again.
	if got, most := srv.Requests()["PATCH"]-patches, int((length-off)/(128<<10))+2; got > most {
		t.Fatalf("resume sent %d PATCHes, at most %d expected", got, most)
	}
	checkStored(t, srv, id, sum)
}

// stopReader cancels the upload once a read reaches offset at.
type stopReader struct {
	io.ReaderAt
	at   int64
	stop func()
}

func (s *stopReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > s.at {
		s.stop()
	}
	return s.ReaderAt.ReadAt(p, off)
}

// TestUploadThroughCuttingLink is the fault test of the client: a proxy
// cuts the connection every 3 MiB; a 64 MiB upload still completes and
// decrypts to the original bytes.
func TestUploadThroughCuttingLink(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	cut := clienttest.StartCutProxy(t, srv.Addr, 3<<20)
	c, err := client.New(client.Options{Server: "http://" + cut.Addr, Proxy: "direct", Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	path, sum := sealed(t, srv, 64<<20)
	start := time.Now()
	id := uploadFile(t, c, path, nil)
	t.Logf("64 MiB through a link cut every 3 MiB: %v, %d cuts", time.Since(start), cut.Cuts.Load())
	if cut.Cuts.Load() < 10 {
		t.Fatalf("only %d cuts: the proxy did not break the link", cut.Cuts.Load())
	}
	checkStored(t, srv, id, sum)
}

func TestUploadThroughSocks(t *testing.T) {
	srv := clienttest.StartServer(t)
	socks := clienttest.StartSocks(t)
	for _, scheme := range []string{"socks5h", "socks5"} {
		t.Run(scheme, func(t *testing.T) {
			before := srv.Requests()["peer:"+clienttest.SocksPeer]
			c, err := client.New(client.Options{Server: srv.URL, Proxy: scheme + "://" + socks.Addr, Retry: fast})
			if err != nil {
				t.Fatal(err)
			}
			path, sum := sealed(t, srv, 1<<20)
			id := uploadFile(t, c, path, nil)
			checkStored(t, srv, id, sum)
			reqs := srv.Requests()
			if reqs["peer:"+clienttest.SocksPeer]-before < 3 {
				t.Fatalf("the server did not see the upload come through the proxy: %v", reqs)
			}
		})
	}
	t.Run("env ALL_PROXY", func(t *testing.T) {
		t.Setenv("ALL_PROXY", "socks5h://"+socks.Addr)
		before := srv.Requests()["peer:"+clienttest.SocksPeer]
		c, err := client.New(client.Options{Server: srv.URL, Retry: fast})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Manifest(context.Background()); err != nil {
			t.Fatal(err)
		}
		if srv.Requests()["peer:"+clienttest.SocksPeer]-before != 2 {
			t.Fatal("ALL_PROXY was not used")
		}
	})
	t.Run("dead proxy fails closed", func(t *testing.T) {
		c, err := client.New(client.Options{Server: srv.URL, Proxy: "socks5h://127.0.0.1:1", Retry: client.Retry{Attempts: 2, Min: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		before := srv.Requests()["GET"]
		if _, _, err := c.Manifest(context.Background()); !errors.Is(err, client.ErrNetwork) {
			t.Fatalf("dead proxy gave %v, want a network error", err)
		}
		if srv.Requests()["GET"] != before {
			t.Fatal("the client went around a dead proxy")
		}
	})
}

// TestUploadErrorsAreFinal checks that 4xx answers are not retried and
// come back in the shared vocabulary.
func TestUploadErrorsAreFinal(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		desc  string
		meta  client.Metadata
		token string
		want  error
	}{
		{"bad submission id", client.Metadata{api.MetaSubmissionID: "nothex"}, "", &api.Error{Code: api.CodeBadRequest}},
		{"relay without token", client.Metadata{api.MetaKind: "relay", api.MetaSubmissionID: randomHex(16), api.MetaVerifier: randomHex(32)}, "", api.ErrUnauthorized},
		{"reply with partner token", client.Metadata{api.MetaKind: "reply", api.MetaSubmissionID: randomHex(16)}, srv.Partner, api.ErrForbidden},
		{"unknown token", client.Metadata{api.MetaKind: "relay", api.MetaSubmissionID: randomHex(16), api.MetaVerifier: randomHex(32)}, randomHex(32), api.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			before := srv.Requests()["POST"]
			_, err := c.CreateUpload(ctx, 1000, tt.meta, tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if n := srv.Requests()["POST"] - before; n != 1 {
				t.Fatalf("%d POSTs: a 4xx was retried", n)
			}
		})
	}
	t.Run("duplicate submission id", func(t *testing.T) {
		meta, _ := anonymousMeta()
		if _, err := c.CreateUpload(ctx, 1000, meta, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateUpload(ctx, 1000, meta, ""); !errors.Is(err, api.ErrConflict) {
			t.Fatalf("got %v, want conflict", err)
		}
	})
	t.Run("not an age file is refused at completion", func(t *testing.T) {
		meta, _ := anonymousMeta()
		data := bytes.Repeat([]byte("plain"), 1000)
		u, err := c.CreateUpload(ctx, int64(len(data)), meta, "")
		if err != nil {
			t.Fatal(err)
		}
		err = c.Upload(ctx, u, "", bytes.NewReader(data), int64(len(data)), nil)
		if !errors.Is(err, &api.Error{Code: api.CodeUnprocessable}) {
			t.Fatalf("got %v, want unprocessable", err)
		}
	})
	t.Run("length mismatch", func(t *testing.T) {
		meta, _ := anonymousMeta()
		u, err := c.CreateUpload(ctx, 100, meta, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Upload(ctx, u, "", bytes.NewReader(make([]byte, 50)), 50, nil); err == nil {
			t.Fatal("an upload of another length was accepted")
		}
	})
}

// TestUploadDamagedChunk: a byte damaged on the way (a link whose damage
// TCP's checksum misses) fails the chunk's checksum; the server keeps
// nothing of that chunk and the client sends it again.
func TestUploadDamagedChunk(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	proxy := clienttest.StartCutProxy(t, srv.Addr, 1<<40)
	proxy.FlipOnce(300 << 10) // inside the first PATCH's 1 MiB body
	c, err := client.New(client.Options{Server: "http://" + proxy.Addr, Proxy: "direct", ChunkSize: 1 << 20, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	path, sum := sealed(t, srv, 3<<20)
	id := uploadFile(t, c, path, nil)
	checkStored(t, srv, id, sum)
	if n := srv.Requests()["status:460"]; n != 1 {
		t.Fatalf("%d checksum mismatches, want 1 (the damaged chunk)", n)
	}
}

// knownSums is an upload source that knows its chunks' CRC-32C, as
// refuge submit's spool does, and counts the bytes read from it. With
// lie set it gives wrong sums.
type knownSums struct {
	data  []byte
	sums  crc32c.Ranges
	read  atomic.Int64
	asked atomic.Int64
	lie   bool
}

func (k *knownSums) ReadAt(p []byte, off int64) (int, error) {
	n, err := bytes.NewReader(k.data).ReadAt(p, off)
	k.read.Add(int64(n))
	return n, err
}

func (k *knownSums) CRC32C(off, n int64) (uint32, bool) {
	k.asked.Add(1)
	crc, ok := k.sums.Range(off, n)
	if k.lie {
		crc ^= 1
	}
	return crc, ok
}

// A source that knows its chunks' checksums is read once, to send it:
// the chunks are not read again to hash them. The server still checks
// every chunk, so a source whose sums are wrong gets nothing stored.
func TestUploadKnownChecksums(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	path, sum := sealed(t, srv, 3<<20+12345)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(src *knownSums, chunk int64) (string, error) {
		retry := fast
		if src.lie {
			retry.Attempts = 3
		}
		c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", ChunkSize: chunk, Retry: retry})
		if err != nil {
			t.Fatal(err)
		}
		src.sums.Write(src.data)
		meta, id := anonymousMeta()
		ctx := context.Background()
		u, err := c.CreateUpload(ctx, int64(len(src.data)), meta, "")
		if err != nil {
			t.Fatal(err)
		}
		return id, c.Upload(ctx, u, "", src, int64(len(src.data)), nil)
	}

	src := &knownSums{data: data}
	id, err := upload(src, 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, id, sum)
	if src.read.Load() != int64(len(data)) || src.asked.Load() == 0 {
		t.Fatalf("read %d bytes of %d, asked for %d sums: want each byte read once", src.read.Load(), len(data), src.asked.Load())
	}

	// Chunks that are not on the source's 64 KiB blocks: it cannot tell,
	// and the client hashes them itself.
	odd := &knownSums{data: data}
	id, err = upload(odd, 100<<10)
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, id, sum)
	if odd.read.Load() <= int64(len(data)) {
		t.Fatalf("read %d bytes of %d with chunks off the blocks: want those chunks read twice (sent and hashed)", odd.read.Load(), len(data))
	}

	// A sum taken while sealing that the chunk does not match means the
	// spool changed since: the client does not hash the chunk again
	// (that would send the damage on), it gives up, and refuge submit's
	// next run finds the spool damaged and seals again.
	liar := &knownSums{data: data, lie: true}
	if id, err := upload(liar, 256<<10); err == nil {
		t.Fatal("an upload with wrong checksums completed")
	} else if _, serr := srv.Store.Submission(context.Background(), id); serr == nil {
		t.Fatal("an upload with wrong checksums was stored")
	}
	if n := srv.Requests()["status:460"]; n == 0 {
		t.Fatal("no chunk was refused for its checksum")
	}
}

// fileSums is knownSums whose bytes are also in a file (as the spool's).
type fileSums struct {
	*knownSums
	f *os.File
}

func (s fileSums) File() *os.File { return s.f }

// A source whose bytes are in a file is sent from the file (sendfile(2),
// on Linux over plain TCP): only the first few KiB of each request, which
// net/http reads to fill its buffer after the headers, go through ReadAt.
// What the server stores is the file's bytes, progress reaches the end,
// and the file's offset does not move.
func TestUploadFromFileSource(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	path, sum := sealed(t, srv, 5<<20+4321)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := fileSums{&knownSums{data: data}, f}
	src.sums.Write(data)
	c, err := client.New(client.Options{Server: srv.URL, Proxy: "direct", ChunkSize: 1 << 20, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	meta, id := anonymousMeta()
	ctx := context.Background()
	u, err := c.CreateUpload(ctx, int64(len(data)), meta, "")
	if err != nil {
		t.Fatal(err)
	}
	var progress atomic.Int64
	if err := c.Upload(ctx, u, "", src, int64(len(data)), &progress); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, id, sum)
	if progress.Load() != int64(len(data)) {
		t.Fatalf("progress %d, want %d", progress.Load(), len(data))
	}
	if off, _ := f.Seek(0, io.SeekCurrent); off != 0 {
		t.Fatalf("the upload moved the file's offset to %d", off)
	}
	patches := srv.Requests()["PATCH"]
	read := src.read.Load()
	if runtime.GOOS == "linux" {
		if read > int64(patches)*8<<10 {
			t.Fatalf("%d bytes of %d read through ReadAt in %d requests: the file was not sent with sendfile", read, len(data), patches)
		}
	} else if read != int64(len(data)) {
		t.Fatalf("read %d bytes of %d", read, len(data))
	}
}

// TestTerminateWaitsForWriter: terminating an upload that a request
// still holds (one cut off or stopped, which the server is still reading)
// is retried until that request ends, instead of failing with a conflict.
func TestTerminateWaitsForWriter(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	hold := clienttest.StartHoldProxy(t, srv.Addr, 1<<20)
	held, err := client.New(client.Options{Server: "http://" + hold.Addr, Proxy: "direct", ChunkSize: 32 << 20, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	// One chunk, more than the socket buffers on the way hold: what the
	// writer has sent when it stops does not complete the upload.
	path, _ := sealed(t, srv, 32<<20)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	meta, _ := anonymousMeta()
	u, err := held.CreateUpload(context.Background(), fi.Size(), meta, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	uploaded := make(chan error, 1)
	go func() { uploaded <- held.Upload(ctx, u, "", f, fi.Size(), nil) }()
	select {
	case <-hold.Holding:
	case err := <-uploaded:
		t.Fatalf("the upload was not held: %v", err)
	}
	// On a new connection, which the proxy lets through, by a client whose
	// tries span seconds: how soon the server ends the held request once
	// the writer stops depends on the machine's load, and fast's tries
	// span well under half a second.
	terminator, err := client.New(client.Options{Server: "http://" + hold.Addr, Proxy: "direct",
		Retry: client.Retry{Attempts: 40, Min: 100 * time.Millisecond, Max: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	terminated := make(chan error, 1)
	go func() { terminated <- terminator.TerminateUpload(context.Background(), u, "") }()
	deadline := time.Now().Add(30 * time.Second)
	for srv.Requests()["status:409"] == 0 { // the server refused the first try
		if time.Now().After(deadline) {
			t.Fatal("the termination never met the held upload")
		}
		select {
		case err := <-terminated:
			t.Fatalf("terminated while the upload was held: %v", err)
		case <-time.After(10 * time.Millisecond): // polling, bounded above
		}
	}
	cancel() // the writer stops; the server reads the end of its request
	hold.Release()
	if err := <-uploaded; !errors.Is(err, context.Canceled) {
		t.Fatalf("upload: %v", err)
	}
	if err := <-terminated; err != nil {
		t.Fatalf("the termination gave up: %v", err)
	}
	if _, _, err := held.UploadOffset(context.Background(), u, ""); !errors.Is(err, api.ErrNotFound) && !errors.Is(err, api.ErrGone) {
		t.Fatalf("the upload is still there: %v", err)
	}
}
