package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	"filippo.io/age"
	"github.com/awnumar/memguard"

	"refuge/internal/cli"
)

// maxIdentityFile bounds the decrypted identity file (a post-quantum
// identity file is about 2 KiB: mostly the public key comment).
const maxIdentityFile = 64 << 10

// loadIdentity decrypts a passphrase-protected officer identity file made by
// keygen (or by "age-keygen -pq | age -p"). The decrypted text is read into a
// locked buffer and destroyed once parsed; the parsed identity itself lives
// on the Go heap while it is in use.
//
// A file that is not passphrase-protected age is refused before the
// passphrase is asked, and no error quotes the content of the key file or
// of what it decrypts to: a passphrase file given as -i by mistake must not
// reach the terminal.
func (e *env) loadIdentity(name, passFile string) (*age.HybridIdentity, error) {
	f, err := os.Open(name) // #nosec G304 -- -i, the officer key file named by the officer
	if err != nil {
		return nil, failf("cannot open the officer key %s: %v", name, cli.Reason(err)).
			Hint("-i is the key file that \"refuge-officer keygen -o FILE\" wrote")
	}
	defer f.Close()
	if err := checkKeyFile(f, name, passFile); err != nil {
		return nil, err
	}
	pass, err := e.passphrase(passFile, false, "officer key "+name)
	if err != nil {
		return nil, err
	}
	sid, err := age.NewScryptIdentity(string(pass.Bytes()))
	pass.Destroy()
	if err != nil {
		return nil, failf("cannot use passphrase: %v", err)
	}
	r, err := age.Decrypt(f, sid)
	// scrypt's 256 MiB of working memory is garbage now: return it to the
	// operating system before opening bundles, or the collector lets the
	// heap grow to twice that before it runs (peak RSS 515 -> 262 MiB
	// when opening 1 GiB).
	debug.FreeOSMemory()
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, failf("wrong passphrase for %s", name).Hint("%s", passphraseHint(passFile))
	}
	if err != nil {
		return nil, keyFileError(name, err)
	}
	buf := memguard.NewBuffer(maxIdentityFile + 1)
	defer buf.Destroy()
	n, err := io.ReadFull(r, buf.Bytes())
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, keyFileError(name, err)
	}
	if n > maxIdentityFile {
		return nil, failf("%s: decrypted identity larger than %d bytes", name, maxIdentityFile)
	}
	// age's parse errors may quote part of the line, here a secret key.
	ids, err := age.ParseIdentities(bytes.NewReader(buf.Bytes()[:n]))
	if err != nil {
		return nil, failf("%s decrypted, but does not hold a valid age identity", name).
			Hint("make a new key with \"refuge-officer keygen\"")
	}
	if len(ids) != 1 {
		return nil, failf("%s holds %d identities, want exactly one", name, len(ids))
	}
	id, ok := ids[0].(*age.HybridIdentity)
	if !ok {
		return nil, failf("%s holds a %s identity, not a post-quantum one (age1pq1…)", name, fmt.Sprintf("%T", ids[0])).
			Hint("make a new key with \"refuge-officer keygen\"")
	}
	return id, nil
}

// checkKeyFile refuses a file that cannot be an officer key: a folder,
// a file that is not age, or an age file encrypted to a recipient (a
// bundle) rather than with a passphrase. Its messages never quote the file.
func checkKeyFile(f *os.File, name, passFile string) error {
	notKey := func(why string) error {
		e := failf("%s is not an officer key (made by \"refuge-officer keygen\"): %s", name, why)
		if passFile != "" && filepath.Clean(passFile) == filepath.Clean(name) {
			e.Hint("-i names the officer key and --passphrase-file the file holding its passphrase; both name %s", name)
		}
		return e
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return notKey("it is a folder")
	}
	head, err := readHead(f, len(ageIntro)+len(scryptStanza))
	if err != nil {
		return failf("cannot read officer key: %v", err)
	}
	switch {
	case !bytes.HasPrefix(head, []byte(ageIntro)):
		return notKey("it is not an age file")
	case !bytes.HasPrefix(head[len(ageIntro):], []byte(scryptStanza)):
		return notKey("it is an age file encrypted to a key (a bundle?), not with a passphrase")
	}
	return nil
}

// keyFileError describes a failure to decrypt an officer key file after its
// header was accepted. age's own messages may quote the header's lines, so
// only read errors of the file are shown.
func keyFileError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return failf("cannot read %s: %v", name, pe.Err)
	}
	return failf("%s is damaged: it does not decrypt as an officer key", name).
		Hint("use a backup of the key made by \"refuge-officer keygen\"")
}

// passphraseHint says where the passphrase that did not match came from.
func passphraseHint(passFile string) string {
	if passFile != "" {
		return "check the passphrase: the first line of " + passFile + " is used"
	}
	return "check the passphrase you typed"
}
