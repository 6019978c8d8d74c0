package bundle

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"filippo.io/age"
)

// TestOpenKilled kills a real process in the middle of Open, while the
// entry is being written through the sink, and checks what a crash leaves:
// only a staging folder (which StagingLeftovers reports as unverified),
// never an OUTDIR/<submission id> folder. A later Open of the same bundle
// into the same folder then succeeds.
func TestOpenKilled(t *testing.T) {
	if os.Getenv("BUNDLE_KILLED_CHILD") != "" {
		return // the child's side is TestOpenKilledChild
	}
	id := newIdentity(t)
	data := make([]byte, 8<<20)
	rand.Read(data)
	sealed := seal(t, id, baseContents(bytesFile("big.bin", data)))
	outDir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenKilledChild$")
	cmd.Env = append(os.Environ(), "BUNDLE_KILLED_CHILD="+id.String(), "BUNDLE_KILLED_OUT="+outDir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A pipe holds 64 KiB (1 MiB at most): once half the bundle is written,
	// the child has read, decrypted and parsed all but the last MiB of it.
	if _, err := stdin.Write(sealed[:len(sealed)/2]); err != nil {
		t.Fatalf("the child stopped reading: %v\n%s", err, out.Bytes())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stdin.Close()

	left, err := StagingLeftovers(outDir)
	if err != nil || len(left) != 1 {
		t.Fatalf("StagingLeftovers = %q, %v; want one staging folder\n%s", left, err, out.Bytes())
	}
	staged, err := os.ReadDir(filepath.Join(left[0], "files"))
	if err != nil || len(staged) != 1 {
		t.Fatalf("the child had staged %v (%v), want the entry being written", staged, err)
	}
	if all, _ := os.ReadDir(outDir); len(all) != 1 {
		t.Fatalf("after the kill %s holds %d entries, want only the staging folder", outDir, len(all))
	}

	res, err := open(sealed, id, outDir)
	if err != nil {
		t.Fatalf("Open after a killed Open: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(res.Dir, "files", "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("reopened entry differs (%v)", err)
	}
}

// TestOpenKilledChild is the process TestOpenKilled kills: it opens the
// bundle it reads from standard input.
func TestOpenKilledChild(t *testing.T) {
	key := os.Getenv("BUNDLE_KILLED_CHILD")
	if key == "" {
		return // run only as TestOpenKilled's child
	}
	id, err := age.ParseHybridIdentity(key)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(os.Stdin, []age.Identity{id}, os.Getenv("BUNDLE_KILLED_OUT"), Options{})
	t.Fatalf("Open returned (%v) before it was killed", err)
}
