package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
)

func TestMain(m *testing.M) {
	// Key files that this test writes in process are cheap to open; the
	// binaries run at full cost but read the cost from the files.
	kdfcost.LowerForTests()
	os.Exit(m.Run())
}

// buildBinaries builds the three commands (and stock age) into a temporary
// folder, as release builds.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator),
		"refuge/cmd/refuge", "refuge/cmd/refuge-server", "refuge/cmd/refuge-officer", "filippo.io/age/cmd/age")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// result is what a command printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

// role runs commands as one person: its own state folder and working
// folder.
type role struct {
	t    *testing.T
	name string
	bin  string
	dir  string // working directory
	env  []string
}

func (d *deployment) role(name string) *role {
	dir := filepath.Join(d.work, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		d.t.Fatal(err)
	}
	state := filepath.Join(d.work, ".state-"+name)
	return &role{t: d.t, name: name, bin: d.bin, dir: dir, env: append(os.Environ(),
		"REFUGE_STATE_DIR="+state, "HOME="+dir, "NO_PROXY=*", "HTTPS_PROXY=", "HTTP_PROXY=", "ALL_PROXY=")}
}

// run runs PROG ARGS... in the role's folder with stdin.
func (r *role) run(stdin, prog string, args ...string) result {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(r.bin, prog), args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("%s %s: %v", prog, strings.Join(args, " "), err)
	}
	return res
}

// ok runs a command that must succeed.
func (r *role) ok(stdin, prog string, args ...string) result {
	r.t.Helper()
	res := r.run(stdin, prog, args...)
	if res.code != 0 {
		r.t.Fatalf("%s (%s) %s: exit %d\nstdout:\n%s\nstderr:\n%s", prog, r.name, strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

// path returns a path inside the role's folder.
func (r *role) path(elem ...string) string {
	return filepath.Join(append([]string{r.dir}, elem...)...)
}

// deployment is a running refuge-server with keys and tokens, as an
// operator and the officers would set it up.
type deployment struct {
	t       *testing.T
	bin     string
	work    string
	pass    string // passphrase file of every key
	rootPub string
	data    string
	url     string
	courier string // courier token
	partner string // partner token
	officer *role  // the air-gapped desk: holds the keys below
}

const partnerName = "fld"

// deploy makes the keys (cheap key files, written in process), signs the
// manifest with refuge-officer, starts refuge-server on 127.0.0.1, and
// publishes the manifest and adds a courier and a partner token.
func deploy(t *testing.T, bin string) *deployment {
	t.Helper()
	d := &deployment{t: t, bin: bin, work: t.TempDir()}
	d.officer = d.role("officer")
	d.pass = d.officer.path("pass")
	write(t, d.pass, "correct horse battery staple\n")
	pubs := map[string]signing.PublicKey{}
	for _, name := range []string{"root", "ack"} {
		k, err := signing.Generate()
		if err != nil {
			t.Fatal(err)
		}
		if err := k.WriteFile(d.officer.path(name+".key"), []byte("correct horse battery staple")); err != nil {
			t.Fatal(err)
		}
		pubs[name] = k.Public()
		k.Destroy()
	}
	d.rootPub = pubs["root"].String()
	// The partner organisation makes its own key and sends the officers
	// its public half.
	partnerPub := strings.TrimSpace(d.role("partner").ok("", "refuge", "partnerkey", "-o", "partner.key", "--passphrase-file", d.pass).stdout)
	recipient := writeOfficerKey(t, d.officer.path("officer.key"), "correct horse battery staple")
	d.officer.ok("", "refuge-officer", "manifest", "sign", "--root-key", "root.key", "--passphrase-file", "pass",
		"--recipient", recipient, "--partner", partnerName+"="+partnerPub, "--ack-key", pubs["ack"].String(),
		"--version", "1", "--expires", time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"), "-o", "manifest.json")

	// As docs/operating.md has it: the server's first start makes its
	// data directory; the manifest and the tokens go in through its
	// admin socket while it runs.
	op := d.role("operator")
	d.data = op.path("data")
	d.url = startServer(t, bin, d.data, d.rootPub)
	op.ok("", "refuge-server", "publish", "--data", d.data, "--root-pub", d.rootPub,
		d.officer.path("manifest.json"), d.officer.path("manifest.json.minisig"))
	d.courier = strings.TrimSpace(op.ok("", "refuge-server", "token", "add", "--courier", "desk", "--data", d.data).stdout)
	d.partner = strings.TrimSpace(op.ok("", "refuge-server", "token", "add", "--partner", partnerName, "--data", d.data).stdout)
	return d
}

// writeOfficerKey writes an officer identity file as keygen does (age
// identity text, passphrase-encrypted with age's scrypt), at a low scrypt
// cost, and returns its recipient.
func writeOfficerKey(t *testing.T, path, passphrase string) string {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	sr, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	sr.SetWorkFactor(10)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, sr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "# public key: %s\n%s\n", id.Recipient(), id)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

var listening = regexp.MustCompile(`refuge-server listening.*addr=(http://127\.0\.0\.1:[0-9]+)`)

// startServer runs refuge-server on a free port of 127.0.0.1 and returns
// its URL once it says it listens. It is stopped when the test ends.
func startServer(t *testing.T, bin, data, rootPub string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "refuge-server"), "--data", data, "--root-pub", rootPub, "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	var seen strings.Builder
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr) // keep the pipe drained
			return m[1]
		}
	}
	t.Fatalf("refuge-server exited before listening:\n%s", seen.String())
	return ""
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// randomFile writes n pseudo-random bytes (fixed by seed) to path.
func randomFile(t *testing.T, path string, n int, seed byte) {
	t.Helper()
	b := make([]byte, n)
	h := sha256.Sum256([]byte{seed})
	for i := range b {
		if i%32 == 0 {
			h = sha256.Sum256(h[:])
		}
		b[i] = h[i%32]
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func sameFile(t *testing.T, got, want string) {
	t.Helper()
	a, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("%s differs from %s", got, want)
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// phraseOf returns the receipt phrase a command printed alone on stdout.
func phraseOf(t *testing.T, r result) string {
	t.Helper()
	p := strings.TrimSpace(r.stdout)
	if len(strings.Fields(p)) != 12 {
		t.Fatalf("no 12-word receipt phrase on stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	return p
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}
