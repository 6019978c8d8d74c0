package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"refuge/crypto/bundle"
	"refuge/server/api"
)

// The officer tool holds a reply to the size a server takes, which it
// cannot import from server/api (that package links net/http).
func TestMaxReplySizeIsTheServers(t *testing.T) {
	if maxReplySize != api.MaxReplySize {
		t.Fatalf("maxReplySize is %d, the server takes %d", maxReplySize, api.MaxReplySize)
	}
}

// A reply larger than the limit is refused at the desk, with nothing
// left in the outbox; one within it is written and opens.
func TestReplyTooLarge(t *testing.T) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 64<<10)
	rand.Read(data)
	contents := bundle.Contents{
		Files: []bundle.File{{Name: "scan.pdf", Size: int64(len(data)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}},
		Note: []byte("a reply"), SubmissionID: strings.Repeat("ab", 16), Kind: bundle.KindReply,
	}
	recipients := []age.Recipient{id.Recipient()}

	outbox := t.TempDir()
	_, err = sealReply(context.Background(), outbox, strings.Repeat("ab", 16), recipients, contents, 32<<10)
	if !errors.Is(err, errReplyTooLarge) {
		t.Fatalf("a reply past the limit: %v, want errReplyTooLarge", err)
	}
	left, _ := os.ReadDir(filepath.Join(outbox, "replies", strings.Repeat("ab", 16)))
	if len(left) != 0 {
		t.Fatalf("the refused reply left %v in the outbox", left)
	}

	path, err := sealReply(context.Background(), outbox, strings.Repeat("ab", 16), recipients, contents, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := bundle.Open(f, []age.Identity{id}, t.TempDir(), bundle.Options{Kinds: []string{bundle.KindReply}}); err != nil {
		t.Fatalf("the reply within the limit does not open: %v", err)
	}
}
