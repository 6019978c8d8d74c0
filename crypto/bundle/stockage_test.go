package bundle

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// buildStockAge builds the stock age command from the module cache (it is a
// tool dependency in go.mod) into a temporary directory.
func buildStockAge(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is needed to build stock age: install Go or put it in PATH")
	}
	bin := filepath.Join(t.TempDir(), "age")
	out, err := exec.Command(goCmd, "build", "-o", bin, "filippo.io/age/cmd/age").CombinedOutput()
	if err != nil {
		t.Fatalf("building stock age: %v\n%s", err, out)
	}
	return bin
}

func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("this test needs %q: install the Debian package %s", tool, pkg)
	}
	return p
}

// writeIdentityFile writes id as age-keygen does; with a passphrase, the
// text is encrypted with age's scrypt recipient, the officer key format.
func writeIdentityFile(t *testing.T, path string, id *age.HybridIdentity, passphrase string) {
	t.Helper()
	text := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n",
		time.Now().Format(time.RFC3339), id.Recipient(), id)
	data := []byte(text)
	if passphrase != "" {
		r, err := age.NewScryptRecipient(passphrase)
		if err != nil {
			t.Fatal(err)
		}
		r.SetWorkFactor(12) // test knob: stock age accepts any factor up to 22
		data = encrypt(t, data, r)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestStockAgeOpensBundle(t *testing.T) {
	ageBin := buildStockAge(t)
	tarBin := need(t, "tar", "tar")
	dir := t.TempDir()
	id := newIdentity(t)
	files := []File{
		bytesFile("تقرير.txt", []byte("عربي\n")),
		bytesFile("папка/вложенная/файл.txt", []byte("русский\n")),
		bytesFile("报告/证词.bin", bytes.Repeat([]byte{0, 1, 2, 255}, 70_000)),
		bytesFile("empty", nil),
	}
	c := baseContents(files...)
	c.Note = []byte("a note\n")
	bundlePath := filepath.Join(dir, "bundle.age")
	if err := os.WriteFile(bundlePath, seal(t, id, c), 0o600); err != nil {
		t.Fatal(err)
	}
	wantList := []string{"files/empty", "files/папка/вложенная/файл.txt", "files/报告/证词.bin", "files/تقرير.txt", "manifest.json", "note.txt"}
	slices.Sort(wantList)
	const passphrase = "correct horse battery staple test"
	plainKey := filepath.Join(dir, "plain.key")
	encKey := filepath.Join(dir, "officer.key")
	writeIdentityFile(t, plainKey, id, "")
	writeIdentityFile(t, encKey, id, passphrase)

	check := func(t *testing.T, tarPath string) {
		out, err := exec.Command(tarBin, "tf", tarPath).CombinedOutput()
		if err != nil {
			t.Fatalf("tar tf: %v\n%s", err, out)
		}
		got := strings.Fields(string(out))
		slices.Sort(got)
		if !slices.Equal(got, wantList) {
			t.Errorf("tar tf lists %q, want %q", got, wantList)
		}
		x := t.TempDir()
		if out, err := exec.Command(tarBin, "xf", tarPath, "-C", x).CombinedOutput(); err != nil {
			t.Fatalf("tar xf: %v\n%s", err, out)
		}
		for _, f := range files {
			got, err := os.ReadFile(filepath.Join(x, "files", filepath.FromSlash(f.Name)))
			if err != nil {
				t.Fatal(err)
			}
			rc, _ := f.Open()
			var want bytes.Buffer
			want.ReadFrom(rc)
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s: extracted bytes differ", f.Name)
			}
		}
	}

	t.Run("plain identity, age -d | tar", func(t *testing.T) {
		tarPath := filepath.Join(t.TempDir(), "out.tar")
		cmd := exec.Command(ageBin, "-d", "-i", plainKey, bundlePath)
		out, err := os.Create(tarPath)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = out, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("age -d: %v\n%s", err, stderr.String())
		}
		check(t, tarPath)
	})

	t.Run("passphrase-protected officer key through a terminal", func(t *testing.T) {
		scriptBin := need(t, "script", "util-linux (bsdutils)")
		tarPath := filepath.Join(t.TempDir(), "out.tar")
		cmdline := fmt.Sprintf("%s -d -i %s -o %s %s", ageBin, encKey, tarPath, bundlePath)
		cmd := exec.Command(scriptBin, "-qec", cmdline, "/dev/null")
		cmd.Stdin = strings.NewReader(passphrase + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("age -d with the encrypted key: %v\n%s", err, out)
		}
		check(t, tarPath)
	})

	t.Run("encrypted key decrypted in process, then Open", func(t *testing.T) {
		data, err := os.ReadFile(encKey)
		if err != nil {
			t.Fatal(err)
		}
		s, err := age.NewScryptIdentity(passphrase)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := age.ParseIdentities(bytes.NewReader(decrypt(t, data, s)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(bundlePath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, outDir := workspace(t)
		res, err := Open(f, ids, outDir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Entries) != len(wantList)-1 || res.Note != "a note\n" {
			t.Errorf("result: %d entries, note %q", len(res.Entries), res.Note)
		}
	})
}
