package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"refuge/client/clienttest"
	"refuge/internal/fstree"
	"refuge/server/store"
)

// makeDataDir makes dir a data directory as the server does at its first
// start (store.Open), with nothing in it yet.
func makeDataDir(t *testing.T, dir string) {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// newDataDir returns a new data directory (makeDataDir).
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	makeDataDir(t, dir)
	return dir
}

// adminCommands are every token and publish command, on --data data;
// publish publishes the manifest mf, sf signed by the root key rootPub.
func adminCommands(data, rootPub, mf, sf string) [][]string {
	return [][]string{
		{"token", "add", "--courier", "desk", "--data", data},
		{"token", "add", "--partner", "fld", "--unlisted", "--data", data},
		{"token", "reissue", "--partner", "fld", "--data", data},
		{"token", "revoke", "--courier", "desk", "--data", data},
		{"token", "list", "--data", data},
		{"publish", "--data", data, "--root-pub", rootPub, mf, sf},
	}
}

// writeManifest writes a manifest signed by keys' root key into dir and
// returns its two files.
func writeManifest(t *testing.T, keys *clienttest.Keys, dir string) (mf, sf string) {
	t.Helper()
	m, sig := keys.Manifest(t, 1, "2099-12-31")
	mf, sf = filepath.Join(dir, "manifest.json"), filepath.Join(dir, "manifest.json.minisig")
	if err := os.WriteFile(mf, m, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf, sig, 0o600); err != nil {
		t.Fatal(err)
	}
	return mf, sf
}

// runBin runs the real refuge-server in the folder dir and returns its
// stdout, stderr and exit code.
func runBin(t *testing.T, bin, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...) // #nosec G204 -- the binary the test built
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// TestAdminCommandsRefuseNoDataDir runs every token and publish command of
// the real binary on a --data that is no data directory of refuge-server:
// a mistyped path beside the real one, paths that do not exist, an empty
// folder (with a trailing slash too), a folder of other things, a file, a
// path through a file, links to nothing and to an empty folder, a
// refuge.db that is a folder, a name with control characters (shown
// quoted in ASCII), an empty string. Each is refused in words,
// exit 1 (2 for the empty string), nothing on stdout, and nothing under
// the test's folder (DIR, its parent and the real data directory beside
// it) is made or changed. Before, every one but token list, revoke and
// reissue on a folder made a new, empty database, and token add printed
// a token the running server never knew.
func TestAdminCommandsRefuseNoDataDir(t *testing.T) {
	bin := buildServer(t)
	keys := clienttest.NewKeys(t)
	mf, sf := writeManifest(t, keys, t.TempDir())
	root := t.TempDir()
	makeDataDir(t, filepath.Join(root, "refuge")) // the real one
	mkdir := func(elem ...string) {
		if err := os.MkdirAll(filepath.Join(append([]string{root}, elem...)...), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile := func(name string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte("not a database"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mkdir("empty")
	mkdir("other", "uploads")
	writeFile("other/notes.txt")
	writeFile("file")
	mkdir("dbfolder", store.DBName)
	if err := os.Symlink("nowhere", filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("empty", filepath.Join(root, "toempty")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	noDB := func(dir string) string {
		return "refuge-server: error: " + dir + " is not a data directory of refuge-server: it holds no refuge.db; nothing was changed\n"
	}
	const checkPath = "refuge-server: hint: check the path: give the --data DIR the server runs with (such as /var/lib/refuge)\n"
	startFirst := func(dir, key string) string {
		return "refuge-server: hint: if the path is right and the server has never run: it makes its data directory, and refuge.db in it, " +
			"when it first starts; start it once with refuge-server --data " + dir + " --root-pub " + key +
			" (docs/operating.md, section 3), then run this command again\n"
	}
	for _, c := range []struct {
		desc, data string
		code       int
		msg        string // the error line
		near       string // a did-you-mean hint, if any
		start      bool   // whether the start-it-once hint follows
	}{
		{"a typo of the real one", "refgue", exitError, "refuge-server: error: refgue does not exist; nothing was changed\n",
			"refuge-server: hint: did you mean --data refuge? it is a data directory of refuge-server\n", true},
		{"a typo, absolute, trailing slash", root + "/refuge-/", exitError, "refuge-server: error: " + root + "/refuge-/ does not exist; nothing was changed\n",
			"refuge-server: hint: did you mean --data " + root + "/refuge? it is a data directory of refuge-server\n", true},
		{"two folders that do not exist", "new/data", exitError, "refuge-server: error: new/data does not exist; nothing was changed\n", "", true},
		{"an empty folder", "empty", exitError, noDB("empty"), "", true},
		{"an empty folder, trailing slash", "empty/", exitError, noDB("empty/"), "", true},
		{"a folder of other things", root + "/other", exitError, noDB(root + "/other"), "", true},
		{"a folder inside the real one", "refuge/uploads", exitError, noDB("refuge/uploads"), "", true},
		{"a file", "file", exitError, "refuge-server: error: file is not a data directory of refuge-server: it is a file, not a folder; nothing was changed\n", "", false},
		{"a path through a file", "file/data", exitError, "refuge-server: error: file/data is not a data directory of refuge-server: not a directory; nothing was changed\n", "", false},
		{"a link to nothing", "dangling", exitError, "refuge-server: error: dangling is a symbolic link to something that does not exist; nothing was changed\n", "", false},
		{"a link to an empty folder", "toempty", exitError, noDB("toempty"), "", true},
		{"a refuge.db that is a folder", "dbfolder", exitError, "refuge-server: error: dbfolder/refuge.db is a folder, not a database file; nothing was changed\n", "", false},
		{"a name with control characters", "new\x1b[2J\ndata", exitError, "refuge-server: error: \"new\\x1b[2J\\ndata\" does not exist; nothing was changed\n", "", true},
		{"an empty string", "", exitUsage, "refuge-server: error: --data is required\n", "", false},
	} {
		for _, args := range adminCommands(c.data, keys.RootPub.String(), mf, sf) {
			t.Run(c.desc+"/"+strings.Join(args[:2], " "), func(t *testing.T) {
				before := fstree.Snapshot(t, root)
				out, errs, rc := runBin(t, bin, root, args...)
				want := c.msg
				if args[0] == "publish" && c.data == "" {
					// publish says which arguments it needs.
					want = "refuge-server: error: bad arguments to publish\n" +
						"refuge-server: hint: refuge-server publish --data DIR --root-pub KEY manifest.json manifest.json.minisig\n"
				}
				if c.code == exitError {
					want += c.near + checkPath
				}
				if c.start {
					key := "KEY"
					if args[0] == "publish" {
						key = shellWord(keys.RootPub.String())
					}
					want += startFirst(pathWord(c.data), key)
				}
				if rc != c.code || out != "" || errs != want {
					t.Errorf("%q: exit %d, stdout %q, stderr\n%s\nwant exit %d, stderr\n%s", args, rc, out, errs, c.code, want)
				}
				if after := fstree.Snapshot(t, root); after != before {
					t.Errorf("%q changed the folders:\n%s\nwas\n%s", args, after, before)
				}
			})
		}
	}
}

// TestAdminCommandsOnDataDirSpellings runs the token and publish commands
// of the real binary on the real data directory as an operator may write
// it: with a trailing slash, through a symbolic link, relative with "./"
// and "..". Each works on the same database.
func TestAdminCommandsOnDataDirSpellings(t *testing.T) {
	bin := buildServer(t)
	keys := clienttest.NewKeys(t)
	mf, sf := writeManifest(t, keys, t.TempDir())
	root := t.TempDir()
	data := filepath.Join(root, "refuge")
	makeDataDir(t, data)
	if err := os.Symlink("refuge", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, errs, rc := runBin(t, bin, root, "publish", "--data", "refuge/", "--root-pub", keys.RootPub.String(), mf, sf); rc != exitOK {
		t.Fatalf("publish on refuge/: %d %s", rc, errs)
	}
	spellings := []struct{ dir, data string }{{root, data + "/"}, {root, "link"}, {root, "link/"}, {root, "./refuge"}, {filepath.Join(root, "sub"), "../refuge"}}
	for i, s := range spellings {
		name := fmt.Sprintf("desk%d", i)
		out, errs, rc := runBin(t, bin, s.dir, "token", "add", "--courier", name, "--data", s.data)
		if rc != exitOK || !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(out) {
			t.Fatalf("token add --data %s: %d %q %s", s.data, rc, out, errs)
		}
	}
	out, errs, rc := runBin(t, bin, root, "token", "list", "--data", "link/")
	if rc != exitOK || strings.Count(out, " courier ") != len(spellings) {
		t.Fatalf("token list --data link/: %d %q %s", rc, out, errs)
	}
	if got := tokenNames(t, data); got != "courier:desk0|courier:desk1|courier:desk2|courier:desk3|courier:desk4" {
		t.Fatalf("the data directory holds %q", got)
	}
}

// TestStartHintMakesDataDir follows the hint publish gives on a new
// server's data directory, as an operator who has not started the server
// yet would: the command it names, run as it is (on a free port), makes
// the data directory; once that server is stopped, publish and token add
// work there.
func TestStartHintMakesDataDir(t *testing.T) {
	bin := buildServer(t)
	keys := clienttest.NewKeys(t)
	mf, sf := writeManifest(t, keys, t.TempDir())
	root := t.TempDir()
	_, errs, rc := runBin(t, bin, root, "publish", "--data", "refuge", "--root-pub", keys.RootPub.String(), mf, sf)
	m := regexp.MustCompile(`start it once with refuge-server (.*) \(docs/operating\.md`).FindStringSubmatch(errs)
	if rc != exitError || m == nil {
		t.Fatalf("publish before the first start: %d %s", rc, errs)
	}
	var args []string
	for _, w := range strings.Fields(m[1]) {
		args = append(args, strings.Trim(w, "'")) // a root key in shell quotes
	}
	if len(args) != 4 || args[0] != "--data" || args[2] != "--root-pub" {
		t.Fatalf("the hint's command: %q", m[1])
	}
	s := &setup{bin: bin, data: filepath.Join(root, args[1]), rootPub: args[3]}
	p := s.start(t)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; err != nil {
		t.Fatalf("the server stopped with %v: %s", err, p.stderr)
	}
	if _, errs, rc := runBin(t, bin, root, "publish", "--data", "refuge", "--root-pub", keys.RootPub.String(), mf, sf); rc != exitOK {
		t.Fatalf("publish after the first start: %d %s", rc, errs)
	}
	if out, errs, rc := runBin(t, bin, root, "token", "add", "--courier", "desk", "--data", "refuge"); rc != exitOK || len(out) != 65 {
		t.Fatalf("token add after the first start: %d %q %s", rc, out, errs)
	}
}
