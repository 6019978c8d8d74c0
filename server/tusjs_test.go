package server_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tusJS finds tus-js-client: $REFUGE_TUS_JS (the package directory, a
// node_modules directory, or an npm --prefix directory), else the
// repository's .cache/npm.
func tusJS(t *testing.T) string {
	t.Helper()
	var cands []string
	if d := os.Getenv("REFUGE_TUS_JS"); d != "" {
		cands = append(cands, d, filepath.Join(d, "tus-js-client"), filepath.Join(d, "node_modules", "tus-js-client"))
	}
	cands = append(cands, filepath.Join("..", ".cache", "npm", "node_modules", "tus-js-client"))
	for _, c := range cands {
		b, err := os.ReadFile(filepath.Join(c, "package.json"))
		var p struct{ Name string }
		if err == nil && json.Unmarshal(b, &p) == nil && p.Name == "tus-js-client" {
			abs, err := filepath.Abs(c)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	t.Fatalf("tus-js-client not found (looked in %s); install it with:\n"+
		"  apt-get install -y nodejs npm\n  npm install --prefix .cache/npm tus-js-client\n"+
		"from the repository root, or set REFUGE_TUS_JS to its directory", strings.Join(cands, ", "))
	return ""
}

const tusScript = `
const tus = require(process.argv[2]);
const fs = require("fs");
const data = fs.readFileSync(process.argv[3]);
const metadata = JSON.parse(process.argv[5]);
const upload = new tus.Upload(data, {
  endpoint: process.argv[4],
  metadata: metadata,
  chunkSize: Number(process.argv[6]),
  retryDelays: [0, 100, 500],
  onError: (err) => { console.error("upload failed: " + err); process.exit(1); },
  onSuccess: () => { console.log("ok " + upload.url); process.exit(0); },
});
upload.start();
`

// TestTusJSClient uploads with tus-js-client, a standard tus client that
// no one here wrote, in one request and in chunks.
func TestTusJSClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed; install it with: apt-get install -y nodejs npm")
	}
	lib := tusJS(t)
	e := newEnv(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "upload.js")
	if err := os.WriteFile(script, []byte(tusScript), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		chunk string
	}{{"one request", "Infinity"}, {"chunks of 7000 bytes", "7000"}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSubmitter()
			body := e.bundle(40 << 10)
			file := filepath.Join(dir, s.id+".age")
			if err := os.WriteFile(file, body, 0o600); err != nil {
				t.Fatal(err)
			}
			md, _ := json.Marshal(map[string]string{"submission-id": s.id, "verifier": s.verifier(), "filename": "evidence.mp4"})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, node, script, lib, file, e.url+"/v1/uploads", string(md), tc.chunk).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "ok "+e.url+"/v1/uploads/") {
				t.Fatalf("tus-js-client: %v: %s", err, out)
			}
			e.t = t
			e.checkCiphertext(s.id, body)
		})
	}
}
