//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"refuge/internal/cli"
	"refuge/internal/fswatch"
	"refuge/internal/noreplace"
)

// releaseBuild builds refuge-officer as a release binary: its key
// derivations run at full cost (about a second each, the test knob
// being out of its reach), which is the time the tests below stop it in.
func releaseBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "refuge-officer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// newKeyCommands are the commands that make a key file.
var newKeyCommands = []string{"keygen", "rootkey", "ackkey"}

// TestKeyFileInterrupted stops keygen, rootkey and ackkey by SIGINT
// (Ctrl-C) or SIGTERM after the passphrase is read, as soon as the
// temporary file of the key appears: while they derive the key that
// encrypts it. Each must exit 130 saying that the key file was not
// written, and leave nothing: no key file, no temporary file. Before,
// Ctrl-C exited 1 without a word and SIGTERM killed the process, leaving
// a half-written key file at its name (an empty one, during the key
// derivation), which the same command then refused as existing.
func TestKeyFileInterrupted(t *testing.T) {
	t.Parallel()
	bin := releaseBuild(t)
	for _, name := range newKeyCommands {
		for _, tc := range []struct {
			sig syscall.Signal
			msg string
		}{
			{syscall.SIGINT, "refuge-officer: error: interrupted (Ctrl-C): "},
			{syscall.SIGTERM, "refuge-officer: error: stopped by SIGTERM: "},
		} {
			t.Run(name+"/"+tc.sig.String(), func(t *testing.T) {
				dir := t.TempDir()
				pass := passFile(t, dir)
				key := filepath.Join(dir, "new.key")
				watch := fswatch.Start(t, dir)
				cmd := exec.Command(bin, name, "-o", key, "--passphrase-file", pass)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill() })
				watch.Created(noreplace.PartialPrefix, 1) // the key derivation has begun
				if err := cmd.Process.Signal(tc.sig); err != nil {
					t.Fatal(err)
				}
				err := runBounded(t, cmd)
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitInterrupted {
					t.Fatalf("an interrupted %s: %v, want exit %d\n%s%s", name, err, cli.ExitInterrupted, stdout.String(), stderr.String())
				}
				want := tc.msg + key + " was not written\nrefuge-officer: hint: run the same command again to make the key\n"
				if stderr.String() != want || stdout.Len() != 0 {
					t.Errorf("stdout %q, stderr %q; want stderr %q", stdout.String(), stderr.String(), want)
				}
				onlyFiles(t, dir, "pass")
			})
		}
	}
}

// TestKeygenKilled kills keygen (SIGKILL, which cannot be caught, as a
// crash or a power loss) while it derives the key that encrypts the
// identity file. No file may be at the key file's name; what is left is
// the temporary file, of mode 0600, named as the documentation says;
// the same command then makes the key. Before, an empty key file was left
// at its name, which the same command refused as existing.
func TestKeygenKilled(t *testing.T) {
	t.Parallel()
	bin := releaseBuild(t)
	dir := t.TempDir()
	pass := passFile(t, dir)
	key := filepath.Join(dir, "officer.key")
	watch := fswatch.Start(t, dir)
	cmd := exec.Command(bin, "keygen", "-o", key, "--passphrase-file", pass)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	partial := watch.Created(noreplace.PartialPrefix, 1)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := runBounded(t, cmd)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("keygen ended with %v, not killed while it derived the key", err)
	}
	if _, err := os.Lstat(key); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a killed keygen left a file at the key's name: %v", err)
	}
	onlyFiles(t, dir, partial, "pass")
	fi, err := os.Stat(filepath.Join(dir, partial))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the temporary file left has mode %v, want 0600", fi.Mode().Perm())
	}

	// The same command makes the key; the file left is no obstacle.
	out, err := exec.Command(bin, "keygen", "-o", key, "--passphrase-file", pass).Output()
	if err != nil || !strings.HasPrefix(string(out), "age1pq1") {
		t.Fatalf("keygen again: %v\n%s", err, out)
	}
	onlyFiles(t, dir, partial, "officer.key", "pass")
}

// TestManifestSignInterrupted stops manifest sign by SIGINT or SIGTERM
// once it has its passphrase (while it decrypts the root key): it must
// exit 130 saying that nothing was written, and write neither the
// manifest nor its signature. Before, Ctrl-C exited 1 without a word and
// SIGTERM killed it.
func TestManifestSignInterrupted(t *testing.T) {
	t.Parallel()
	bin := releaseBuild(t)
	keys := t.TempDir()
	pass := passFile(t, keys)
	rootKey := filepath.Join(keys, "root.key")
	// At release cost: decrypting it takes about a second.
	if out, err := exec.Command(bin, "rootkey", "-o", rootKey, "--passphrase-file", pass).CombinedOutput(); err != nil {
		t.Fatalf("rootkey: %v\n%s", err, out)
	}
	recipient, err := exec.Command(bin, "keygen", "-o", filepath.Join(keys, "officer.key"), "--passphrase-file", pass).Output()
	if err != nil {
		t.Fatalf("keygen: %v", err)
	}
	for _, tc := range []struct {
		sig syscall.Signal
		msg string
	}{
		{syscall.SIGINT, "refuge-officer: error: interrupted (Ctrl-C): "},
		{syscall.SIGTERM, "refuge-officer: error: stopped by SIGTERM: "},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "pass")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "manifest", "sign", "--root-key", rootKey, "--passphrase-file", fifo,
				"--recipient", strings.TrimSpace(string(recipient)), "--version", "1", "--expires", "2099-12-31",
				"-o", filepath.Join(dir, "manifest.json"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			// The pipe opens once manifest sign opens it to read the
			// passphrase, after it began to catch the signals.
			answer(t, fifo, "not a real passphrase\n")
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err := runBounded(t, cmd)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitInterrupted {
				t.Fatalf("an interrupted manifest sign: %v, want exit %d\n%s%s", err, cli.ExitInterrupted, stdout.String(), stderr.String())
			}
			want := tc.msg + "the manifest was not signed, nothing was written\nrefuge-officer: hint: run the same command again to sign it\n"
			if stderr.String() != want || stdout.Len() != 0 {
				t.Errorf("stdout %q, stderr %q; want stderr %q", stdout.String(), stderr.String(), want)
			}
			onlyFiles(t, dir, "pass")
		})
	}
}

// passFile writes a passphrase file in dir.
func passFile(t *testing.T, dir string) string {
	t.Helper()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("not a real passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return pass
}

// answer writes line into the named pipe fifo once a process opens it to
// read, and closes it.
func answer(t *testing.T, fifo, line string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString(line)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(runLimit):
		t.Fatal("the passphrase was never read")
	}
}

// onlyFiles fails unless dir holds exactly names, sorted.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, "\n") != strings.Join(names, "\n") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}
