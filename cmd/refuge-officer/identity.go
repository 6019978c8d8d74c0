package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"filippo.io/age"
	"github.com/awnumar/memguard"
)

// maxIdentityFile bounds the decrypted identity file (a post-quantum
// identity file is about 2 KiB: mostly the public key comment).
const maxIdentityFile = 64 << 10

// loadIdentity decrypts a passphrase-protected officer identity file made by
// keygen (or by "age-keygen -pq | age -p"). The decrypted text is read into a
// locked buffer and destroyed once parsed; the parsed identity itself lives
// on the Go heap while it is in use.
func (e *env) loadIdentity(name, passFile string) (*age.HybridIdentity, error) {
	f, err := os.Open(name) // #nosec G304 -- -i, the officer key file named by the officer
	if err != nil {
		return nil, failf("cannot open officer key: %v", err)
	}
	defer f.Close()
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
		return nil, failf("wrong passphrase for %s", name).
			hint("the file must be an officer key made by \"refuge-officer keygen\"")
	}
	if err != nil {
		return nil, failf("cannot decrypt %s: %v", name, err).
			hint("the file must be an officer key made by \"refuge-officer keygen\"")
	}
	buf := memguard.NewBuffer(maxIdentityFile + 1)
	defer buf.Destroy()
	n, err := io.ReadFull(r, buf.Bytes())
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, failf("cannot decrypt %s: %v", name, err)
	}
	if n > maxIdentityFile {
		return nil, failf("%s: decrypted identity larger than %d bytes", name, maxIdentityFile)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(buf.Bytes()[:n]))
	if err != nil {
		return nil, failf("%s does not hold an age identity: %v", name, err)
	}
	if len(ids) != 1 {
		return nil, failf("%s holds %d identities, want exactly one", name, len(ids))
	}
	id, ok := ids[0].(*age.HybridIdentity)
	if !ok {
		return nil, failf("%s holds a %s identity, not a post-quantum one (age1pq1…)", name, fmt.Sprintf("%T", ids[0])).
			hint("make a new key with \"refuge-officer keygen\"")
	}
	return id, nil
}
