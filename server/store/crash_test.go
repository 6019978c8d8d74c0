package store_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"refuge/server/store"
)

// The crash test runs this test binary again as a writer process
// (crashEnv names its data directory), kills it with SIGKILL in the middle
// of many concurrent uploads, does the same with a second writer that
// recovers and resumes what the first left, and checks what a new process
// finds.
const crashEnv = "REFUGE_STORE_CRASH_WRITER_DIR"

const (
	crashUploads     = 64 // concurrent uploads in the writer
	crashGenerations = 8  // each finished upload is followed by a new one, this many times
	crashKillAcks    = 400
	crashKillDone    = 8
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(fsizeEnv); dir != "" {
		if err := fsizeWriter(dir); err != nil {
			fmt.Fprintln(os.Stderr, "limited writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if dir := os.Getenv(crashEnv); dir != "" {
		if err := crashWriter(dir); err != nil {
			fmt.Fprintln(os.Stderr, "crash writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashID derives the deterministic upload and submission IDs of upload
// slot i, generation g.
func crashID(kind string, i, g int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "crash %s %d %d", kind, i, g))
	return hex.EncodeToString(h[:16])
}

func crashLength(i, g int) int64 {
	n := int64(8<<10 + (i*37+g*101)%64*(12<<10))
	if i%8 == 5 {
		n += 1 << 20 // sent in one chunk (i%4 == 1) that the store pipelines
	}
	return n
}

// crashBlock is 1 MiB of fixed pseudo-random bytes; every upload's content
// is a rotation of it, so generating content costs a copy.
var crashBlock = sync.OnceValue(func() []byte {
	b := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{'r', 'e', 'f', 'u', 'g', 'e'}).Read(b)
	return b
})

// crashContent returns the deterministic bytes of an upload.
func crashContent(i, g int) []byte {
	block := crashBlock()
	shift := int(binary.BigEndian.Uint32([]byte(crashID("content", i, g))[:4])) % len(block)
	out := make([]byte, crashLength(i, g))
	for n := 0; n < len(out); {
		n += copy(out[n:], block[(shift+n)%len(block):])
	}
	return out
}

func crashUpload(i, g int) store.Upload {
	return store.Upload{
		ID: crashID("upload", i, g), Length: crashLength(i, g), Created: "2026-11-30", Expires: "2999-12-31",
		Kind: store.KindAnonymous, SubmissionID: crashID("submission", i, g),
	}
}

// crashWriter uploads crashUploads × crashGenerations uploads in chunks of
// random sizes, printing "ack i g offset" after every WriteChunk returns
// and "done i g" after every Complete. Every fourth slot sends checksums;
// another fourth sends each upload in one long chunk. Odd slots send
// their chunks with WriteLastChunk, which completes with the last one.
func crashWriter(dir string) error {
	// Small checkpoints, so that the long chunks below are committed in
	// steps and a kill lands between steps too.
	s, err := store.Open(dir, store.Options{CheckpointBytes: 16 << 10})
	if err != nil {
		return err
	}
	var out sync.Mutex
	say := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format, args...)
	}
	var wg sync.WaitGroup
	errs := make(chan error, crashUploads)
	for i := range crashUploads {
		wg.Go(func() {
			for g := range crashGenerations {
				if err := crashOne(s, i, g, say); err != nil {
					errs <- fmt.Errorf("upload %d/%d: %w", i, g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	return s.Close()
}

// crashOne runs one upload to completion, picking up where an earlier,
// killed writer left it: the offset the store reports, as a tus client
// would after HEAD.
func crashOne(s store.Store, i, g int, say func(string, ...any)) error {
	u := crashUpload(i, g)
	if _, err := s.Submission(ctx, u.SubmissionID); err == nil {
		return nil
	}
	var off int64
	if up, err := s.Upload(ctx, u.ID); err == nil {
		off = up.Offset
	} else if err := s.CreateUpload(ctx, u); err != nil {
		return err
	}
	content := crashContent(i, g)
	sizes := rand.New(rand.NewPCG(uint64(i), uint64(g)))
	for off < u.Length {
		n := int64(1 + sizes.IntN(64<<10))
		if i%4 == 1 {
			n = u.Length // the whole rest in one chunk, as tus-js-client does
		}
		chunk := content[off:min(off+n, u.Length)]
		var sum *store.Checksum
		if i%4 == 0 {
			d := sha256.Sum256(chunk)
			sum = &store.Checksum{Algorithm: "sha256", Digest: d[:]}
		}
		write := s.WriteChunk
		if i%2 == 1 {
			write = func(ctx context.Context, id string, off int64, r io.Reader, sum *store.Checksum) (int64, error) {
				return s.WriteLastChunk(ctx, id, off, r, sum, nil)
			}
		}
		next, err := write(ctx, u.ID, off, bytes.NewReader(chunk), sum)
		if err != nil {
			return err
		}
		off = next
		say("ack %d %d %d\n", i, g, off)
	}
	if i%2 == 1 {
		say("done %d %d\n", i, g)
		return nil
	}
	if _, err := s.Complete(ctx, u.ID, nil); err != nil {
		return err
	}
	say("done %d %d\n", i, g)
	return nil
}

func TestCrashDuringUploads(t *testing.T) {
	t.Parallel() // it mostly waits for fsync
	start := time.Now()
	dir := t.TempDir()
	// Kill a writer, start another on what it left (it recovers and
	// resumes), kill that one too.
	acked := map[[2]int]int64{}
	done := map[[2]int]bool{}
	nAcks := 0
	for _, killAt := range []int{crashKillAcks, crashKillAcks / 2} {
		a, d, n := runAndKillWriter(t, dir, killAt)
		for k, off := range a {
			acked[k] = max(acked[k], off)
		}
		for k := range d {
			done[k] = true
		}
		nAcks += n
	}

	t.Logf("writers killed at %v", time.Since(start))
	s := openBolt(t, dir)
	t.Logf("reopened at %v", time.Since(start))
	if err := s.Check(); err != nil {
		t.Fatalf("bbolt file inconsistent after the crash: %v", err)
	}
	checkNoOrphans(t, s, dir)
	// Every client resumes at once, as they would after a restart.
	var mu sync.Mutex
	var wg sync.WaitGroup
	found := map[string]int{}
	for i := range crashUploads {
		wg.Go(func() {
			for g := range crashGenerations {
				key := [2]int{i, g}
				what, err := checkCrashUpload(s, dir, i, g, acked[key], done[key])
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				found[what]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	completed, partial := found["complete"], found["partial"]
	t.Logf("writers killed after %d acknowledged chunks in all; then %d uploads complete, %d partial and resumed", nAcks, completed, partial)
	if partial == 0 {
		t.Fatal("the writer was killed with no upload in progress; the test proved nothing")
	}
	evs, err := s.Events(ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.VerifyEvents([32]byte{}, evs); err != nil {
		t.Fatalf("event log after the crash: %v", err)
	}
}

// runAndKillWriter starts the writer, reads its acknowledgements until
// enough have arrived, kills it with SIGKILL and reads the rest of what it
// printed before it died. It returns the highest acknowledged offset and
// whether Complete returned, per (slot, generation).
func runAndKillWriter(t *testing.T, dir string, killAt int) (map[[2]int]int64, map[[2]int]bool, int) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the writer: %v", err)
	}
	acked := map[[2]int]int64{}
	done := map[[2]int]bool{}
	nAcks, nDone, killed := 0, 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var kind string
		var i, g int
		var off int64
		if _, err := fmt.Sscan(sc.Text(), &kind, &i, &g); err != nil {
			t.Fatalf("writer printed %q", sc.Text())
		}
		switch kind {
		case "ack":
			fmt.Sscan(strings.Fields(sc.Text())[3], &off)
			acked[[2]int{i, g}] = max(acked[[2]int{i, g}], off)
			nAcks++
		case "done":
			done[[2]int{i, g}] = true
			nDone++
		}
		if !killed && nAcks >= killAt && nDone >= crashKillDone {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatalf("kill the writer: %v", err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("the writer ended before it was killed (%v): %s", err, stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the writer did not die of SIGKILL: %v: %s", err, stderr.String())
	}
	return acked, done, nAcks
}

// checkCrashUpload checks one upload after the crash and finishes it if it
// is partial. It returns "complete", "partial" or "absent", or
// what is wrong.
func checkCrashUpload(s *store.BoltStore, dir string, i, g int, acked int64, done bool) (string, error) {
	u := crashUpload(i, g)
	want := crashContent(i, g)
	if sub, err := s.Submission(ctx, u.SubmissionID); err == nil {
		c, err := s.OpenCiphertext(ctx, sub.ID)
		if err != nil {
			return "", fmt.Errorf("upload %d/%d: %v", i, g, err)
		}
		got, _ := io.ReadAll(c)
		c.Close()
		if !bytes.Equal(got, want) || sub.SHA256 != sha256.Sum256(want) || sub.Size != u.Length {
			return "", fmt.Errorf("upload %d/%d: completed ciphertext is not what was written", i, g)
		}
		return "complete", nil
	}
	if done {
		return "", fmt.Errorf("upload %d/%d: completed before the crash, missing after it", i, g)
	}
	up, err := s.Upload(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		if acked > 0 {
			return "", fmt.Errorf("upload %d/%d: %d bytes were acknowledged, the upload is gone", i, g, acked)
		}
		return "absent", nil
	}
	if err != nil {
		return "", err
	}
	if up.Offset < acked {
		return "", fmt.Errorf("upload %d/%d: offset %d after the crash, but %d was acknowledged", i, g, up.Offset, acked)
	}
	part, err := os.ReadFile(filepath.Join(dir, "uploads", u.ID+".part"))
	if err != nil {
		return "", err
	}
	if int64(len(part)) != up.Offset || !bytes.Equal(part, want[:up.Offset]) {
		return "", fmt.Errorf("upload %d/%d: part file (%d bytes) does not hold exactly the bytes up to offset %d", i, g, len(part), up.Offset)
	}
	// Resume from the offset the store reports, as a tus client would.
	if _, err := s.WriteChunk(ctx, u.ID, up.Offset, bytes.NewReader(want[up.Offset:]), nil); err != nil {
		return "", fmt.Errorf("upload %d/%d: resume: %v", i, g, err)
	}
	sub, err := s.Complete(ctx, u.ID, nil)
	if err != nil {
		return "", fmt.Errorf("upload %d/%d: complete after resume: %v", i, g, err)
	}
	if sub.SHA256 != sha256.Sum256(want) {
		return "", fmt.Errorf("upload %d/%d: resumed upload has the wrong hash", i, g)
	}
	return "partial", nil
}

// checkNoOrphans checks that every file in the data directory belongs to a
// record.
func checkNoOrphans(t *testing.T, s *store.BoltStore, dir string) {
	t.Helper()
	for _, name := range listFiles(t, dir) {
		switch {
		case name == "refuge.db":
		case strings.HasPrefix(name, "uploads/"):
			id := strings.TrimSuffix(strings.TrimPrefix(name, "uploads/"), ".part")
			if _, err := s.Upload(ctx, id); err != nil {
				t.Errorf("orphan %s: %v", name, err)
			}
		case strings.HasPrefix(name, "blobs/"):
			id := strings.TrimSuffix(strings.TrimPrefix(name, "blobs/"), ".age")
			if sub, err := s.Submission(ctx, id); err != nil || sub.Status == store.StatusDeleted {
				t.Errorf("orphan %s: %v", name, err)
			}
		default:
			t.Errorf("unexpected file %s", name)
		}
	}
}
