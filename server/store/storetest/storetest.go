// Package storetest is the behaviour every [store.Store] must have, as one
// test suite. An implementation's tests call [Run] with a function that
// opens a fresh, empty store; the suite exercises every method's contract
// through the interface only, so it runs unchanged against any store.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1" // #nosec G505 -- tus checksums may be sha1; the suite checks they work
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/iotest"

	"refuge/server/store"
)

// Run runs the suite. open returns a new, empty store for each subtest and
// arranges for it to be closed (t.Cleanup); the suite never closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateUpload", testCreateUpload},
		{"CreateUploadInvalid", testCreateUploadInvalid},
		{"CreateUploadTaken", testCreateUploadTaken},
		{"UploadExpired", testUploadExpired},
		{"WriteChunks", testWriteChunks},
		{"WriteChunkOffsetMismatch", testWriteChunkOffsetMismatch},
		{"WriteChunkTooLarge", testWriteChunkTooLarge},
		{"WriteChunkChecksum", testWriteChunkChecksum},
		{"WriteChunkCut", testWriteChunkCut},
		{"WriteChunkLocked", testWriteChunkLocked},
		{"WriteChunkUnknown", testWriteChunkUnknown},
		{"Complete", testComplete},
		{"CompleteIncomplete", testCompleteIncomplete},
		{"CompleteRejected", testCompleteRejected},
		{"EmptyUpload", testEmptyUpload},
		{"Reply", testReply},
		{"DeleteUpload", testDeleteUpload},
		{"ExpireUploads", testExpireUploads},
		{"Ciphertext", testCiphertext},
		{"MarkCollected", testMarkCollected},
		{"DeleteSubmission", testDeleteSubmission},
		{"Submissions", testSubmissions},
		{"Tokens", testTokens},
		{"TokensInvalid", testTokensInvalid},
		{"Manifest", testManifest},
		{"Events", testEvents},
		{"Concurrent", testConcurrent},
		{"ConcurrentSameSubmission", testConcurrentSameSubmission},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

const (
	day     = store.Day("2026-11-30")
	future  = store.Day("2999-12-31")
	past    = store.Day("2001-01-01")
	badHash = "0000000000000000000000000000000000000000000000000000000000000000"
)

// NewID returns a fresh random identifier in the store's format.
func NewID(t testing.TB) string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Data returns n random bytes.
func Data(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func newUpload(t testing.TB, kind store.Kind, sub string, length int64) store.Upload {
	return store.Upload{
		ID: NewID(t), Length: length, Created: day, Expires: future, Kind: kind,
		SubmissionID: sub, Verifier: sha256.Sum256([]byte("token " + sub)),
	}
}

func create(t testing.TB, s store.Store, u store.Upload) {
	t.Helper()
	if err := s.CreateUpload(context.Background(), u); err != nil {
		t.Fatalf("CreateUpload: %v", err)
	}
}

func write(t testing.TB, s store.Store, id string, off int64, data []byte) int64 {
	t.Helper()
	n, err := s.WriteChunk(context.Background(), id, off, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatalf("WriteChunk at %d: %v", off, err)
	}
	if want := off + int64(len(data)); n != want {
		t.Fatalf("WriteChunk returned offset %d, want %d", n, want)
	}
	return n
}

func complete(t testing.TB, s store.Store, id string) store.Submission {
	t.Helper()
	sub, err := s.Complete(context.Background(), id, func(io.Reader) error { return nil })
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	return sub
}

// submit stores data as a complete anonymous submission and returns it.
func submit(t testing.TB, s store.Store, data []byte) store.Submission {
	t.Helper()
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	write(t, s, u.ID, 0, data)
	return complete(t, s, u.ID)
}

func wantErr(t testing.TB, what string, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("%s: got error %v, want %v", what, err, target)
		}
	}
}

func offsetOf(t testing.TB, s store.Store, id string) int64 {
	t.Helper()
	u, err := s.Upload(context.Background(), id)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	return u.Offset
}

func readAll(t testing.TB, c store.Ciphertext) []byte {
	t.Helper()
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read ciphertext: %v", err)
	}
	return b
}

// events returns the whole log, checking its chain.
func events(t testing.TB, s store.Store) []store.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), 0, 1<<20)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if _, err := store.VerifyEvents([32]byte{}, evs); err != nil {
		t.Fatalf("event log does not verify: %v", err)
	}
	return evs
}

func lastEvent(t testing.TB, s store.Store) store.Event {
	t.Helper()
	evs := events(t, s)
	if len(evs) == 0 {
		t.Fatal("event log is empty")
	}
	return evs[len(evs)-1]
}

func testCreateUpload(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, kind := range []store.Kind{store.KindAnonymous, store.KindRelay, store.KindReferral} {
		u := newUpload(t, kind, NewID(t), 1000)
		u.Partner = "Front Line Defenders"
		create(t, s, u)
		got, err := s.Upload(ctx, u.ID)
		if err != nil {
			t.Fatalf("Upload: %v", err)
		}
		if got != u {
			t.Fatalf("Upload returned %+v, want %+v", got, u)
		}
		if e := lastEvent(t, s); e.Type != store.EventCreated || e.SubmissionID != u.SubmissionID || e.Day != day {
			t.Fatalf("last event %+v, want created for the submission", e)
		}
	}
	_, err := s.Upload(ctx, NewID(t))
	wantErr(t, "Upload of unknown id", err, store.ErrNotFound)
}

func testCreateUploadInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		desc   string
		change func(u *store.Upload)
	}{
		{"empty id", func(u *store.Upload) { u.ID = "" }},
		{"short id", func(u *store.Upload) { u.ID = u.ID[:31] }},
		{"upper case id", func(u *store.Upload) { u.ID = "ABCDEF" + u.ID[6:] }},
		{"path in id", func(u *store.Upload) { u.ID = "../../../../../../../../etc/pwd" }},
		{"slash in id", func(u *store.Upload) { u.ID = u.ID[:15] + "/" + u.ID[16:] }},
		{"bad submission id", func(u *store.Upload) { u.SubmissionID = "..%2F" }},
		{"negative length", func(u *store.Upload) { u.Length = -1 }},
		{"non-zero offset", func(u *store.Upload) { u.Offset = 5 }},
		{"unknown kind", func(u *store.Upload) { u.Kind = "admin" }},
		{"no expiry", func(u *store.Upload) { u.Expires = "" }},
		{"bad expiry", func(u *store.Upload) { u.Expires = "2026-02-30" }},
		{"bad created", func(u *store.Upload) { u.Created = "yesterday" }},
		{"control in partner", func(u *store.Upload) { u.Partner = "a\nb" }},
		{"long partner", func(u *store.Upload) { u.Partner = string(bytes.Repeat([]byte("p"), 65)) }},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			u := newUpload(t, store.KindAnonymous, NewID(t), 10)
			tc.change(&u)
			wantErr(t, "CreateUpload", s.CreateUpload(ctx, u), store.ErrInvalid)
			if _, err := s.Upload(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("refused upload is visible: %v", err)
			}
		})
	}
	if evs := events(t, s); len(evs) != 0 {
		t.Fatalf("refused uploads left %d events", len(evs))
	}
}

func testCreateUploadTaken(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)

	again := newUpload(t, store.KindAnonymous, NewID(t), 10)
	again.ID = u.ID
	wantErr(t, "same upload id", s.CreateUpload(ctx, again), store.ErrExists)

	same := newUpload(t, store.KindRelay, u.SubmissionID, 10)
	wantErr(t, "reserved submission id", s.CreateUpload(ctx, same), store.ErrExists)

	done := submit(t, s, []byte("0123456789"))
	wantErr(t, "existing submission id", s.CreateUpload(ctx, newUpload(t, store.KindAnonymous, done.ID, 10)), store.ErrExists)

	wantErr(t, "reply to nothing", s.CreateUpload(ctx, newUpload(t, store.KindReply, NewID(t), 10)), store.ErrNotFound)
	if got := offsetOf(t, s, u.ID); got != 0 {
		t.Fatalf("first upload changed: offset %d", got)
	}
}

func testUploadExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	u.Expires = past
	create(t, s, u)
	_, err := s.Upload(ctx, u.ID)
	wantErr(t, "Upload of expired", err, store.ErrNotFound, store.ErrGone)
	_, err = s.WriteChunk(ctx, u.ID, 0, bytes.NewReader([]byte("x")), nil)
	wantErr(t, "WriteChunk to expired", err, store.ErrNotFound)
	_, err = s.Complete(ctx, u.ID, nil)
	wantErr(t, "Complete of expired", err, store.ErrNotFound)
}

func testWriteChunks(t *testing.T, s store.Store) {
	data := Data(3<<20 + 17)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	var off int64
	for _, n := range []int{1, 100, 1 << 20, 3, 2<<20 - 104, 17} {
		off = write(t, s, u.ID, off, data[off:off+int64(n)])
		if got := offsetOf(t, s, u.ID); got != off {
			t.Fatalf("Upload offset %d after writing to %d", got, off)
		}
	}
	write(t, s, u.ID, off, nil) // an empty chunk changes nothing
	sub := complete(t, s, u.ID)
	checkStored(t, s, sub, data)

	// Readers that deliver bytes one at a time, in halves, or with io.EOF
	// on the last data are all read to the end.
	readers := []struct {
		desc string
		wrap func(io.Reader) io.Reader
	}{
		{"one byte per read", iotest.OneByteReader},
		{"half reads", iotest.HalfReader},
		{"EOF with data", iotest.DataErrReader},
	}
	for _, tc := range readers {
		data := Data(300<<10 + 1)
		u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
		create(t, s, u)
		n, err := s.WriteChunk(context.Background(), u.ID, 0, tc.wrap(bytes.NewReader(data)), nil)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%s: WriteChunk %d, %v", tc.desc, n, err)
		}
		checkStored(t, s, complete(t, s, u.ID), data)
	}
}

func checkStored(t *testing.T, s store.Store, sub store.Submission, data []byte) {
	t.Helper()
	if sub.SHA256 != sha256.Sum256(data) || sub.Size != int64(len(data)) {
		t.Fatal("submission hash or size differs from the data written")
	}
	c, err := s.OpenCiphertext(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, c), data) {
		t.Fatal("stored ciphertext differs from the data written")
	}
}

func testWriteChunkOffsetMismatch(t *testing.T, s store.Store) {
	u := newUpload(t, store.KindAnonymous, NewID(t), 100)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("hello"))
	for _, off := range []int64{0, 4, 6, 100, -1} {
		n, err := s.WriteChunk(context.Background(), u.ID, off, bytes.NewReader([]byte("x")), nil)
		wantErr(t, "WriteChunk at wrong offset", err, store.ErrOffsetMismatch)
		if n != 5 {
			t.Fatalf("WriteChunk at wrong offset returned %d, want the current offset 5", n)
		}
	}
	if got := offsetOf(t, s, u.ID); got != 5 {
		t.Fatalf("offset %d, want 5", got)
	}
}

func testWriteChunkTooLarge(t *testing.T, s store.Store) {
	data := Data(100)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	write(t, s, u.ID, 0, data[:40])
	tests := []struct {
		desc string
		body []byte
	}{
		{"one byte too many", append(slices.Clone(data[40:]), 'x')},
		{"far too many", Data(3 << 20)},
	}
	for _, tc := range tests {
		n, err := s.WriteChunk(context.Background(), u.ID, 40, bytes.NewReader(tc.body), nil)
		wantErr(t, tc.desc, err, store.ErrTooLarge)
		if n != 40 || offsetOf(t, s, u.ID) != 40 {
			t.Fatalf("%s: offset moved to %d", tc.desc, n)
		}
	}
	write(t, s, u.ID, 40, data[40:])
	sub := complete(t, s, u.ID)
	if sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("bytes of a refused chunk leaked into the ciphertext")
	}
}

func testWriteChunkChecksum(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(3000)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	s256 := sha256.Sum256(data[:1000])
	s1 := sha1.Sum(data[1000:2000]) // #nosec G401 -- as above
	bad := sha256.Sum256(data[:1])
	tests := []struct {
		desc    string
		off     int64
		chunk   []byte
		sum     store.Checksum
		wantOff int64
		wantErr error
	}{
		{"sha256 matches", 0, data[:1000], store.Checksum{Algorithm: "sha256", Digest: s256[:]}, 1000, nil},
		{"sha256 differs", 1000, data[1000:2000], store.Checksum{Algorithm: "sha256", Digest: bad[:]}, 1000, store.ErrChecksum},
		{"digest too short", 1000, data[1000:2000], store.Checksum{Algorithm: "sha1", Digest: s1[:10]}, 1000, store.ErrChecksum},
		{"unknown algorithm", 1000, data[1000:2000], store.Checksum{Algorithm: "md5", Digest: s1[:]}, 1000, store.ErrInvalid},
		{"sha1 matches", 1000, data[1000:2000], store.Checksum{Algorithm: "sha1", Digest: s1[:]}, 2000, nil},
	}
	for _, tc := range tests {
		n, err := s.WriteChunk(ctx, u.ID, tc.off, bytes.NewReader(tc.chunk), &tc.sum)
		if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
			t.Fatalf("%s: error %v, want %v", tc.desc, err, tc.wantErr)
		}
		if n != tc.wantOff || offsetOf(t, s, u.ID) != tc.wantOff {
			t.Fatalf("%s: offset %d, want %d", tc.desc, n, tc.wantOff)
		}
	}
	write(t, s, u.ID, 2000, data[2000:])
	if sub := complete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("a refused chunk changed the ciphertext")
	}
}

// cutReader yields data, then fails like a dropped connection.
type cutReader struct {
	r   io.Reader
	err error
}

var errCut = errors.New("connection reset")

func (c *cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		return n, c.err
	}
	return n, err
}

func testWriteChunkCut(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(5 << 20)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)

	n, err := s.WriteChunk(ctx, u.ID, 0, &cutReader{bytes.NewReader(data[:3<<20+5]), errCut}, nil)
	wantErr(t, "cut chunk", err, errCut)
	if n != 3<<20+5 || offsetOf(t, s, u.ID) != n {
		t.Fatalf("cut chunk: offset %d, want every byte that arrived (%d)", n, 3<<20+5)
	}
	digest := sha256.Sum256(data[n : n+1000])
	n2, err := s.WriteChunk(ctx, u.ID, n, &cutReader{bytes.NewReader(data[n : n+500]), errCut}, &store.Checksum{Algorithm: "sha256", Digest: digest[:]})
	wantErr(t, "cut chunk with checksum", err, errCut)
	if n2 != n || offsetOf(t, s, u.ID) != n {
		t.Fatalf("cut chunk with checksum: offset %d, want it unchanged at %d", n2, n)
	}
	n, err = s.WriteChunk(ctx, u.ID, n, &cutReader{bytes.NewReader(nil), errCut}, nil)
	wantErr(t, "chunk cut before any byte", err, errCut)
	n2, err = s.WriteChunk(ctx, u.ID, n, stuckReader{}, nil)
	if err == nil || n2 != n {
		t.Fatalf("a reader that never delivers: %d, %v; want an error and offset %d", n2, err, n)
	}
	write(t, s, u.ID, n, data[n:])
	if sub := complete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("ciphertext differs after resuming a cut upload")
	}
}

// stuckReader returns nothing and no error, forever.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

// gateReader blocks its first Read until release is closed.
type gateReader struct {
	started chan struct{}
	release chan struct{}
	r       io.Reader
	once    sync.Once
}

func (g *gateReader) Read(p []byte) (int, error) {
	g.once.Do(func() { close(g.started); <-g.release })
	return g.r.Read(p)
}

func testWriteChunkLocked(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(200)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	g := &gateReader{started: make(chan struct{}), release: make(chan struct{}), r: bytes.NewReader(data[:100])}
	done := make(chan error)
	go func() {
		_, err := s.WriteChunk(ctx, u.ID, 0, g, nil)
		done <- err
	}()
	<-g.started
	_, err := s.WriteChunk(ctx, u.ID, 0, bytes.NewReader(data[:100]), nil)
	wantErr(t, "second writer", err, store.ErrLocked)
	wantErr(t, "delete while writing", s.DeleteUpload(ctx, u.ID), store.ErrLocked)
	_, err = s.Complete(ctx, u.ID, nil)
	wantErr(t, "complete while writing", err, store.ErrLocked)
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("first writer: %v", err)
	}
	write(t, s, u.ID, 100, data[100:])
	if sub := complete(t, s, u.ID); sub.SHA256 != sha256.Sum256(data) {
		t.Fatal("ciphertext differs")
	}
}

func testWriteChunkUnknown(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{NewID(t), "", "../x", "%2F..%2F"} {
		_, err := s.WriteChunk(ctx, id, 0, bytes.NewReader([]byte("x")), nil)
		wantErr(t, "WriteChunk to "+id, err, store.ErrNotFound)
		_, err = s.Complete(ctx, id, nil)
		wantErr(t, "Complete of "+id, err, store.ErrNotFound)
		wantErr(t, "DeleteUpload of "+id, s.DeleteUpload(ctx, id), store.ErrNotFound)
	}
}

func testComplete(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(70000)
	u := newUpload(t, store.KindRelay, NewID(t), int64(len(data)))
	u.Partner = "fld"
	create(t, s, u)
	write(t, s, u.ID, 0, data)
	var seen []byte
	sub, err := s.Complete(ctx, u.ID, func(r io.Reader) error {
		var err error
		seen, err = io.ReadAll(r)
		return err
	})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if !bytes.Equal(seen, data) {
		t.Fatal("check did not see the ciphertext from its start")
	}
	want := store.Submission{
		ID: u.SubmissionID, Kind: store.KindRelay, Verifier: u.Verifier, Partner: "fld",
		Received: sub.Received, Status: store.StatusReceived, Size: int64(len(data)), SHA256: sha256.Sum256(data),
	}
	if sub.Received == "" || !slices.Equal(sub.Replies, nil) || sub.ID != want.ID || sub.Kind != want.Kind ||
		sub.Verifier != want.Verifier || sub.Partner != want.Partner || sub.Status != want.Status ||
		sub.Size != want.Size || sub.SHA256 != want.SHA256 {
		t.Fatalf("Complete returned %+v, want %+v", sub, want)
	}
	got, err := s.Submission(ctx, sub.ID)
	if err != nil || got.SHA256 != want.SHA256 || got.Status != store.StatusReceived {
		t.Fatalf("Submission: %+v, %v", got, err)
	}
	_, err = s.Upload(ctx, u.ID)
	wantErr(t, "upload after Complete", err, store.ErrNotFound)
	_, err = s.Complete(ctx, u.ID, nil)
	wantErr(t, "second Complete", err, store.ErrNotFound)
	e := lastEvent(t, s)
	if e.Type != store.EventCompleted || e.SubmissionID != sub.ID || e.SHA256 != want.SHA256 || e.Day != sub.Received {
		t.Fatalf("last event %+v, want completed with the ciphertext hash", e)
	}
}

func testCompleteIncomplete(t *testing.T, s store.Store) {
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("12345"))
	_, err := s.Complete(context.Background(), u.ID, nil)
	wantErr(t, "Complete at half", err, store.ErrIncomplete)
	if offsetOf(t, s, u.ID) != 5 {
		t.Fatal("refused Complete changed the upload")
	}
}

func testCompleteRejected(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("not an age"))
	errNotAge := errors.New("not an age file")
	_, err := s.Complete(ctx, u.ID, func(r io.Reader) error { return errNotAge })
	wantErr(t, "rejected Complete", err, store.ErrRejected, errNotAge)
	_, err = s.Upload(ctx, u.ID)
	wantErr(t, "rejected upload", err, store.ErrNotFound)
	_, err = s.Submission(ctx, u.SubmissionID)
	wantErr(t, "rejected submission", err, store.ErrNotFound)
	// The submission id is free again: the submitter may retry.
	create(t, s, newUpload(t, store.KindAnonymous, u.SubmissionID, 1))
}

func testEmptyUpload(t *testing.T, s store.Store) {
	u := newUpload(t, store.KindAnonymous, NewID(t), 0)
	create(t, s, u)
	write(t, s, u.ID, 0, nil)
	_, err := s.WriteChunk(context.Background(), u.ID, 0, bytes.NewReader([]byte("x")), nil)
	wantErr(t, "byte into an empty upload", err, store.ErrTooLarge)
	if sub := complete(t, s, u.ID); sub.Size != 0 || sub.SHA256 != sha256.Sum256(nil) {
		t.Fatalf("empty submission %+v", sub)
	}
}

func testReply(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := submit(t, s, Data(1000))
	var replies [][]byte
	for i := range 2 {
		data := Data(500 + i)
		replies = append(replies, data)
		u := newUpload(t, store.KindReply, sub.ID, int64(len(data)))
		u.Verifier = [32]byte{}
		create(t, s, u)
		write(t, s, u.ID, 0, data)
		got := complete(t, s, u.ID)
		if got.ID != sub.ID || got.Status != store.StatusReplied || len(got.Replies) != i+1 {
			t.Fatalf("Complete of reply %d returned %+v", i, got)
		}
		r := got.Replies[i]
		if r.ID != u.ID || r.Size != int64(len(data)) || r.SHA256 != sha256.Sum256(data) || r.Created == "" {
			t.Fatalf("reply record %+v", r)
		}
		if e := lastEvent(t, s); e.Type != store.EventReplied || e.SubmissionID != sub.ID || e.SHA256 != r.SHA256 {
			t.Fatalf("last event %+v, want replied", e)
		}
	}
	got, err := s.Submission(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got.Replies {
		c, err := s.OpenReply(ctx, sub.ID, r.ID)
		if err != nil {
			t.Fatalf("OpenReply: %v", err)
		}
		if c.Size() != r.Size || !bytes.Equal(readAll(t, c), replies[i]) {
			t.Fatalf("reply %d differs", i)
		}
	}
	_, err = s.OpenReply(ctx, sub.ID, NewID(t))
	wantErr(t, "unknown reply", err, store.ErrNotFound)
	_, err = s.OpenReply(ctx, NewID(t), got.Replies[0].ID)
	wantErr(t, "reply of unknown submission", err, store.ErrNotFound)
	_, err = s.OpenReply(ctx, sub.ID, "../"+sub.ID)
	wantErr(t, "reply path trick", err, store.ErrNotFound)
	// Collecting a replied submission keeps it replied.
	if err := s.MarkCollected(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Submission(ctx, sub.ID); got.Status != store.StatusReplied {
		t.Fatalf("status %s after collecting a replied submission", got.Status)
	}
}

func testDeleteUpload(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("abc"))
	if err := s.DeleteUpload(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUpload: %v", err)
	}
	_, err := s.Upload(ctx, u.ID)
	wantErr(t, "deleted upload", err, store.ErrNotFound)
	wantErr(t, "second delete", s.DeleteUpload(ctx, u.ID), store.ErrNotFound)
	_, err = s.WriteChunk(ctx, u.ID, 3, bytes.NewReader([]byte("d")), nil)
	wantErr(t, "write to deleted upload", err, store.ErrNotFound)
	// The submission id is free again, and the upload id too.
	create(t, s, newUpload(t, store.KindAnonymous, u.SubmissionID, 10))
	again := newUpload(t, store.KindAnonymous, NewID(t), 4)
	again.ID = u.ID
	create(t, s, again)
	write(t, s, again.ID, 0, []byte("wxyz"))
	if sub := complete(t, s, again.ID); sub.SHA256 != sha256.Sum256([]byte("wxyz")) {
		t.Fatal("a recreated upload kept bytes of the deleted one")
	}
}

func testExpireUploads(t *testing.T, s store.Store) {
	ctx := context.Background()
	var expired, kept []store.Upload
	for i := range 6 {
		u := newUpload(t, store.KindAnonymous, NewID(t), 10)
		u.Expires = []store.Day{"2026-11-29", "2026-11-30", "2026-12-01"}[i%3]
		create(t, s, u)
		if u.Expires <= day {
			expired = append(expired, u)
		} else {
			kept = append(kept, u)
		}
	}
	sub := submit(t, s, Data(10))
	n, err := s.ExpireUploads(ctx, day)
	if err != nil || n != len(expired) {
		t.Fatalf("ExpireUploads: %d, %v; want %d", n, err, len(expired))
	}
	for _, u := range expired {
		wantErr(t, "DeleteUpload of expired", s.DeleteUpload(ctx, u.ID), store.ErrNotFound)
		create(t, s, newUpload(t, store.KindAnonymous, u.SubmissionID, 1)) // reservation freed
	}
	if n, err := s.ExpireUploads(ctx, day); err != nil || n != 0 {
		t.Fatalf("second ExpireUploads: %d, %v", n, err)
	}
	if _, err := s.ExpireUploads(ctx, "tomorrow"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("ExpireUploads with a bad day: %v", err)
	}
	for _, u := range kept {
		if err := s.DeleteUpload(ctx, u.ID); err != nil {
			t.Fatalf("an upload that had not expired is gone: %v", err)
		}
	}
	c, err := s.OpenCiphertext(ctx, sub.ID)
	if err != nil {
		t.Fatalf("expiry touched a submission: %v", err)
	}
	readAll(t, c) // reads and closes
}

func testCiphertext(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(100000)
	sub := submit(t, s, data)
	c, err := s.OpenCiphertext(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Size() != int64(len(data)) {
		t.Fatalf("Size %d, want %d", c.Size(), len(data))
	}
	buf := make([]byte, 1000)
	if _, err := c.ReadAt(buf, 5000); err != nil || !bytes.Equal(buf, data[5000:6000]) {
		t.Fatalf("ReadAt: %v", err)
	}
	if _, err := c.Seek(99000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(rest, data[99000:]) {
		t.Fatalf("read after Seek: %v", err)
	}
	for _, id := range []string{NewID(t), "", "../../refuge.db"} {
		_, err = s.OpenCiphertext(ctx, id)
		wantErr(t, "OpenCiphertext of "+id, err, store.ErrNotFound)
	}
}

func testMarkCollected(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := submit(t, s, Data(10))
	before := len(events(t, s))
	for range 2 {
		if err := s.MarkCollected(ctx, sub.ID); err != nil {
			t.Fatalf("MarkCollected: %v", err)
		}
	}
	evs := events(t, s)
	if len(evs) != before+1 || evs[before].Type != store.EventCollected || evs[before].SubmissionID != sub.ID {
		t.Fatalf("MarkCollected twice should log one collected event, log has %d new", len(evs)-before)
	}
	if got, _ := s.Submission(ctx, sub.ID); got.Status != store.StatusCollected {
		t.Fatalf("status %s, want collected", got.Status)
	}
	wantErr(t, "MarkCollected of unknown", s.MarkCollected(ctx, NewID(t)), store.ErrNotFound)
}

func testDeleteSubmission(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(1000)
	sub := submit(t, s, data)
	wrong, _ := hex.DecodeString(badHash)
	wantErr(t, "delete with a wrong hash", s.DeleteSubmission(ctx, sub.ID, [32]byte(wrong)), store.ErrBadState)
	c, err := s.OpenCiphertext(ctx, sub.ID)
	if err != nil {
		t.Fatalf("a refused delete removed the ciphertext: %v", err)
	}
	if !bytes.Equal(readAll(t, c), data) {
		t.Fatal("ciphertext changed")
	}
	wantErr(t, "delete unknown", s.DeleteSubmission(ctx, NewID(t), sub.SHA256), store.ErrNotFound)

	if err := s.DeleteSubmission(ctx, sub.ID, sub.SHA256); err != nil {
		t.Fatalf("DeleteSubmission: %v", err)
	}
	e := lastEvent(t, s)
	if e.Type != store.EventDeleted || e.SubmissionID != sub.ID || e.SHA256 != sub.SHA256 {
		t.Fatalf("last event %+v, want deleted", e)
	}
	if err := s.DeleteSubmission(ctx, sub.ID, sub.SHA256); err != nil {
		t.Fatalf("repeated DeleteSubmission: %v", err)
	}
	if lastEvent(t, s).Seq != e.Seq {
		t.Fatal("repeated DeleteSubmission logged again")
	}
	got, err := s.Submission(ctx, sub.ID)
	if err != nil || got.Status != store.StatusDeleted || got.SHA256 != sub.SHA256 {
		t.Fatalf("deleted submission record: %+v, %v", got, err)
	}
	_, err = s.OpenCiphertext(ctx, sub.ID)
	wantErr(t, "OpenCiphertext of deleted", err, store.ErrNotFound, store.ErrGone)
	wantErr(t, "MarkCollected of deleted", s.MarkCollected(ctx, sub.ID), store.ErrBadState)
	list, err := s.Submissions(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("Submissions lists a deleted one: %v, %v", list, err)
	}
	// Officers may still reply after acknowledging.
	u := newUpload(t, store.KindReply, sub.ID, 3)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("ack"))
	if got := complete(t, s, u.ID); len(got.Replies) != 1 || got.Status != store.StatusDeleted {
		t.Fatalf("reply to a deleted submission: %+v", got)
	}
}

func testSubmissions(t *testing.T, s store.Store) {
	var ids []string
	for range 5 {
		ids = append(ids, submit(t, s, Data(10)).ID)
	}
	list, err := s.Submissions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sub := range list {
		got = append(got, sub.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("Submissions in order %v, want oldest first %v", got, ids)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	tokens := []store.Token{
		{Name: "fld", Role: store.RolePartner, Verifier: sha256.Sum256([]byte("a")), Created: day},
		{Name: "fld", Role: store.RoleCourier, Verifier: sha256.Sum256([]byte("b")), Created: day},
		{Name: "ottawa-1", Role: store.RoleCourier, Verifier: sha256.Sum256([]byte("c")), Created: day},
	}
	for _, tok := range tokens {
		if err := s.AddToken(ctx, tok); err != nil {
			t.Fatalf("AddToken %s: %v", tok.Name, err)
		}
	}
	dup := tokens[0]
	dup.Verifier = sha256.Sum256([]byte("d"))
	wantErr(t, "same name and role", s.AddToken(ctx, dup), store.ErrExists)
	sameV := store.Token{Name: "other", Role: store.RolePartner, Verifier: tokens[2].Verifier, Created: day}
	wantErr(t, "same verifier", s.AddToken(ctx, sameV), store.ErrExists)

	for _, tok := range tokens {
		got, err := s.TokenByVerifier(ctx, tok.Verifier)
		if err != nil || got != tok {
			t.Fatalf("TokenByVerifier: %+v, %v; want %+v", got, err, tok)
		}
	}
	_, err := s.TokenByVerifier(ctx, sha256.Sum256([]byte("z")))
	wantErr(t, "unknown verifier", err, store.ErrNotFound)
	_, err = s.TokenByVerifier(ctx, [32]byte{})
	wantErr(t, "zero verifier", err, store.ErrNotFound)

	if err := s.RevokeToken(ctx, store.RoleCourier, "fld"); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByVerifier(ctx, tokens[1].Verifier)
	if err != nil || !got.Revoked {
		t.Fatalf("revoked token: %+v, %v", got, err)
	}
	if got, _ := s.TokenByVerifier(ctx, tokens[0].Verifier); got.Revoked {
		t.Fatal("revoking the courier fld revoked the partner fld")
	}
	wantErr(t, "revoke unknown", s.RevokeToken(ctx, store.RolePartner, "nobody"), store.ErrNotFound)
	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("Tokens: %d, %v", len(list), err)
	}
}

func testTokensInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		desc string
		tok  store.Token
	}{
		{"no role", store.Token{Name: "a", Verifier: sha256.Sum256([]byte("a"))}},
		{"unknown role", store.Token{Name: "a", Role: "admin", Verifier: sha256.Sum256([]byte("a"))}},
		{"empty name", store.Token{Role: store.RolePartner, Verifier: sha256.Sum256([]byte("a"))}},
		{"control in name", store.Token{Name: "a\x00b", Role: store.RolePartner, Verifier: sha256.Sum256([]byte("a"))}},
		{"zero verifier", store.Token{Name: "a", Role: store.RolePartner}},
	}
	for _, tc := range tests {
		wantErr(t, tc.desc, s.AddToken(context.Background(), tc.tok), store.ErrInvalid)
	}
	if list, _ := s.Tokens(context.Background()); len(list) != 0 {
		t.Fatalf("refused tokens were stored: %v", list)
	}
}

func testManifest(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, _, _, err := s.Manifest(ctx)
	wantErr(t, "no manifest yet", err, store.ErrNotFound)
	tests := []struct {
		desc    string
		version uint64
		wantErr error
		current uint64
	}{
		{"first", 3, nil, 3},
		{"same version", 3, store.ErrBadState, 3},
		{"lower version", 2, store.ErrBadState, 3},
		{"higher version", 4, nil, 4},
	}
	for _, tc := range tests {
		m := []byte(`{"version":` + strconv.FormatUint(tc.version, 10) + `}`)
		err := s.PutManifest(ctx, m, []byte("sig"), tc.version)
		if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
			t.Fatalf("%s: %v, want %v", tc.desc, err, tc.wantErr)
		}
		gm, gs, gv, err := s.Manifest(ctx)
		if err != nil || gv != tc.current || string(gs) != "sig" || !bytes.Contains(gm, []byte(strconv.FormatUint(tc.current, 10))) {
			t.Fatalf("%s: current manifest %q version %d, %v", tc.desc, gm, gv, err)
		}
	}
	wantErr(t, "empty manifest", s.PutManifest(ctx, nil, []byte("sig"), 9), store.ErrInvalid)
	wantErr(t, "huge manifest", s.PutManifest(ctx, make([]byte, 64<<10+1), []byte("sig"), 9), store.ErrInvalid)
}

func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	for range 4 {
		sub := submit(t, s, Data(10))
		if err := s.MarkCollected(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
	}
	all := events(t, s) // 4 × created, completed, collected
	if len(all) != 12 || all[0].Seq != 1 || all[0].Prev != [32]byte{} {
		t.Fatalf("log has %d events starting at %d, want 12 from 1", len(all), all[0].Seq)
	}
	prev := [32]byte{}
	for from := uint64(1); from <= 12; from += 5 {
		page, err := s.Events(ctx, from, 5)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(5, 13-int(from)); len(page) != want || page[0].Seq != from {
			t.Fatalf("Events(%d, 5): %d entries", from, len(page))
		}
		if prev, err = store.VerifyEvents(prev, page); err != nil {
			t.Fatalf("page from %d: %v", from, err)
		}
	}
	if page, err := s.Events(ctx, 13, 5); err != nil || len(page) != 0 {
		t.Fatalf("Events past the end: %v, %v", page, err)
	}
	if page, err := s.Events(ctx, 0, 0); err != nil || len(page) != 12 {
		t.Fatalf("Events with no limit: %d, %v", len(page), err)
	}
	tampered := slices.Clone(all)
	tampered[5].SHA256[0] ^= 1
	if _, err := store.VerifyEvents([32]byte{}, tampered); err == nil {
		t.Fatal("VerifyEvents accepted a changed entry")
	}
	if _, err := store.VerifyEvents([32]byte{}, append(slices.Clone(all[:3]), all[4:]...)); err == nil {
		t.Fatal("VerifyEvents accepted a dropped entry")
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	const uploads, chunk, chunks = 16, 4096, 8
	var wg sync.WaitGroup
	errs := make(chan error, uploads)
	sums := make([][32]byte, uploads)
	subs := make([]store.Submission, uploads)
	for i := range uploads {
		wg.Go(func() {
			ctx := context.Background()
			data := Data(chunk * chunks)
			sums[i] = sha256.Sum256(data)
			u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
			if err := s.CreateUpload(ctx, u); err != nil {
				errs <- err
				return
			}
			for off := int64(0); off < int64(len(data)); off += chunk {
				if _, err := s.WriteChunk(ctx, u.ID, off, bytes.NewReader(data[off:off+chunk]), nil); err != nil {
					errs <- err
					return
				}
			}
			sub, err := s.Complete(ctx, u.ID, nil)
			if err != nil {
				errs <- err
				return
			}
			subs[i] = sub
		})
	}
	wg.Go(func() {
		for range 5 {
			if _, err := s.ExpireUploads(context.Background(), day); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent upload: %v", err)
	}
	for i, sub := range subs {
		if sub.SHA256 != sums[i] {
			t.Fatalf("upload %d: ciphertext hash differs", i)
		}
		c, err := s.OpenCiphertext(context.Background(), sub.ID)
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		if got := sha256.Sum256(readAll(t, c)); got != sums[i] {
			t.Fatalf("upload %d: stored ciphertext differs", i)
		}
	}
	if evs := events(t, s); len(evs) != 2*uploads {
		t.Fatalf("%d events, want %d", len(evs), 2*uploads)
	}
}

// Many uploads race for one submission id: exactly one wins, and the
// losers leave nothing behind.
func testConcurrentSameSubmission(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := NewID(t)
	const racers = 16
	errs := make([]error, racers)
	ids := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			u := newUpload(t, store.KindAnonymous, sub, 4)
			ids[i] = u.ID
			errs[i] = s.CreateUpload(ctx, u)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatal("two uploads reserved the same submission id")
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrExists):
			t.Fatalf("losing racer: %v, want ErrExists", err)
		default:
			if _, err := s.Upload(ctx, ids[i]); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a losing racer's upload exists: %v", err)
			}
		}
	}
	if winner < 0 {
		t.Fatal("no racer won")
	}
	write(t, s, ids[winner], 0, []byte("wins"))
	if got := complete(t, s, ids[winner]); got.ID != sub {
		t.Fatalf("submission %s, want %s", got.ID, sub)
	}
	created := 0
	for _, e := range events(t, s) {
		if e.Type == store.EventCreated {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d created events, want 1", created)
	}
}
