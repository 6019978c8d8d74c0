package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"unicode/utf8"

	"github.com/awnumar/memguard"
	"golang.org/x/term"
)

// maxPassphrase bounds how much of a passphrase file or terminal line is read.
const maxPassphrase = 1024

// MinNewPassphrase is the shortest passphrase, in characters, that the
// commands accept for a new key: the officers' (keygen, rootkey, ackkey)
// and a partner's (refuge partnerkey). The officer key opens every
// submission, the signing keys speak for the officers or a partner, and a
// copied key file can be attacked offline at scrypt's cost per guess. Keys
// that exist are opened whatever their passphrase (stock age and minisign
// set no minimum).
const MinNewPassphrase = 12

// ErrShortPassphrase is the error of CheckNew. It never tells the length
// of what was typed.
var ErrShortPassphrase = fmt.Errorf("passphrase too short: a new key needs at least %d characters", MinNewPassphrase)

// NewPassphraseHint is what to tell a person whose new passphrase
// CheckNew refused.
const NewPassphraseHint = "it is all that protects the key if the file is copied; a few unrelated words are long enough and easy to type"

// CheckNew refuses the passphrase of a new key when it is shorter than
// MinNewPassphrase characters (ErrShortPassphrase).
func CheckNew(passphrase []byte) error {
	if utf8.RuneCount(passphrase) < MinNewPassphrase {
		return ErrShortPassphrase
	}
	return nil
}

// ErrEmptyPassphrase is returned when the passphrase is empty.
var ErrEmptyPassphrase = errors.New("empty passphrase refused")

// ErrNoTerminal is returned when a passphrase must be typed but there is no
// terminal to ask on.
var ErrNoTerminal = errors.New("no terminal to ask for the passphrase")

// Prompt says where a passphrase comes from.
type Prompt struct {
	// File, if set, is a file whose first line is the passphrase (the
	// trailing newline is stripped). Otherwise the passphrase is typed at
	// the terminal without echo (ReadSecretLine: Ctrl-C or SIGTERM there
	// gives an *InterruptedError).
	File string
	// Confirm asks twice at the terminal (for a new key).
	Confirm bool
	// Label names the secret in the prompt, for example "officer key".
	Label string
	// Warn receives warnings, such as loose permissions on File.
	Warn func(msg string)
}

// ReadPassphrase returns the passphrase in a read-only memguard buffer.
// The caller must Destroy it once it has been used.
func ReadPassphrase(p Prompt) (*memguard.LockedBuffer, error) {
	var (
		b   *memguard.LockedBuffer
		err error
	)
	if p.File != "" {
		b, err = passphraseFromFile(p.File, p.Warn)
	} else {
		b, err = passphraseFromTerminal(p.Label, p.Confirm)
	}
	if err != nil {
		return nil, err
	}
	b.Freeze()
	return b, nil
}

func passphraseFromFile(name string, warn func(string)) (*memguard.LockedBuffer, error) {
	f, err := os.Open(name) // #nosec G304 -- --passphrase-file, chosen by the user
	if err != nil {
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err // the file is named once, not again as "open F: "
		}
		return nil, fmt.Errorf("cannot open the passphrase file %s: %w", name, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 && warn != nil {
		warn(fmt.Sprintf("passphrase file %s is readable by group or others (mode %v); use chmod 600", name, fi.Mode().Perm()))
	}
	buf := memguard.NewBuffer(maxPassphrase + 1)
	n, err := io.ReadFull(f, buf.Bytes())
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		buf.Destroy()
		return nil, fmt.Errorf("cannot read passphrase file: %v", err)
	}
	line := buf.Bytes()[:n]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if n > maxPassphrase {
		buf.Destroy()
		return nil, fmt.Errorf("passphrase file: first line longer than %d bytes", maxPassphrase)
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	return fromLocked(buf, len(line))
}

// fromLocked returns a new buffer holding the first n bytes of buf, and
// destroys buf.
func fromLocked(buf *memguard.LockedBuffer, n int) (*memguard.LockedBuffer, error) {
	defer buf.Destroy()
	if n == 0 {
		return nil, ErrEmptyPassphrase
	}
	out := memguard.NewBuffer(n)
	copy(out.Bytes(), buf.Bytes()[:n])
	return out, nil
}

func passphraseFromTerminal(label string, confirm bool) (*memguard.LockedBuffer, error) {
	tty, ttyOut, err := openTerminal()
	if err != nil {
		return nil, ErrNoTerminal
	}
	defer tty.Close()
	defer ttyOut.Close()
	if !term.IsTerminal(int(tty.Fd())) {
		return nil, ErrNoTerminal
	}
	if label == "" {
		label = "key"
	}
	first, err := readPassphraseLine(tty, ttyOut, fmt.Sprintf("Passphrase for the %s: ", label))
	if err != nil {
		return nil, err
	}
	if !confirm {
		return first, nil
	}
	second, err := readPassphraseLine(tty, ttyOut, "Same passphrase again: ")
	if err != nil {
		first.Destroy()
		return nil, err
	}
	defer second.Destroy()
	if !first.EqualTo(second.Bytes()) {
		first.Destroy()
		return nil, errors.New("the two passphrases differ")
	}
	return first, nil
}

// readPassphraseLine reads one line without echo (ReadSecretLine) and
// moves it into a locked buffer, wiping the heap copy.
func readPassphraseLine(tty, out *os.File, prompt string) (*memguard.LockedBuffer, error) {
	line, err := ReadSecretLine(tty, out, prompt)
	var interrupted *InterruptedError
	switch {
	case errors.As(err, &interrupted):
		return nil, err
	case err != nil:
		memguard.WipeBytes(line)
		return nil, fmt.Errorf("cannot read passphrase from the terminal: %v", err)
	case len(line) == 0:
		return nil, ErrEmptyPassphrase
	case len(line) > maxPassphrase:
		memguard.WipeBytes(line)
		return nil, fmt.Errorf("passphrase longer than %d bytes", maxPassphrase)
	}
	return memguard.NewBufferFromBytes(line), nil // wipes line
}
