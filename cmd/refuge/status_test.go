package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"refuge/crypto/receipt"
	"refuge/internal/kdfcost"
	"refuge/server/api"
)

// TestStatusOutput: refuge status prints "key: value" lines a script can
// read, whatever the state: the first word of the status is the state's
// name (as status --help lists them), then the submission id.
func TestStatusOutput(t *testing.T) {
	t.Parallel()
	srv, u, phrase := submitted(t, "a.pdf", 1000)
	kdfcost.LowerForTests() // as the refuge subprocesses do
	p, err := receipt.Parse([]byte(phrase))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := receipt.Derive(p)
	id := keys.SubmissionID()

	check := func(state string) {
		t.Helper()
		out := u.ok(phrase+"\n", "status").stdout
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("status line %q is not \"key: value\":\n%s", line, out)
			}
			got[k] = v
		}
		if first, _, _ := strings.Cut(got["status"], ":"); first != state {
			t.Fatalf("status of a %s submission begins %q:\n%s", state, first, out)
		}
		if got["submission"] != id || got["replies"] != "0" || !strings.HasSuffix(got["received on"], "(UTC day)") || len(got) != 4 {
			t.Fatalf("status of a %s submission:\n%s", state, out)
		}
	}
	check("received")
	pullOne(t, srv)
	check("collected")

	sub, err := srv.Store.Submission(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	outbox := t.TempDir()
	os.MkdirAll(filepath.Join(outbox, "acks"), 0o700)
	stmt, _ := json.Marshal(api.AckStatement{SubmissionID: id, SHA256: hex.EncodeToString(sub.SHA256[:]), Imported: true})
	os.WriteFile(filepath.Join(outbox, "acks", id+".json"), stmt, 0o600)
	os.WriteFile(filepath.Join(outbox, "acks", id+".json.minisig"), minisign.Sign(srv.Keys.AckPriv, stmt), 0o600)
	newUser(t).ok("", "courier", "push", "--server", srv.URL, "--token", srv.Courier, outbox)
	check("deleted")
}
