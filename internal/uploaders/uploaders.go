// Package uploaders reads and writes UPLOADERS, the list that
// "refuge courier pull" writes beside the ciphertext it pulls: for each
// bundle, the kind of upload the server recorded and, for a relay or a
// referral, the name of the partner whose token made it. The officer's
// report shows it for every bundle it lists; it matters most for a relayed
// one, which the defender sealed anonymously and which names no sender of
// its own.
//
// It is the server's record, not signed by anyone: it tells the officer
// which organisation to ask about a relayed bundle, and proves nothing.
// The file crosses from the networked side to the air-gapped one, so Parse
// refuses anything but the exact lines Format writes:
//
//	# refuge courier pull: who uploaded each bundle, as the server recorded it (not signed)
//	0123456789abcdef0123456789abcdef.age anonymous
//	00112233445566778899aabbccddeeff.age relay Front Line Office
//
// The partner's name is the rest of the line: 1 to 64 printable
// characters, no space at either end (the server's own rule for names).
package uploaders

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"refuge/internal/lowerhex"
)

// FileName is the list's name in the courier's inbox.
const FileName = "UPLOADERS"

// MaxSize bounds the file Parse reads: some 100 bytes a line, for more
// bundles than a courier carries.
const MaxSize = 16 << 20

const header = "# refuge courier pull: who uploaded each bundle, as the server recorded it (not signed)\n"

// Kinds of upload, as the server records them.
const (
	Anonymous = "anonymous"
	Relay     = "relay"
	Referral  = "referral"
)

// Entry is one bundle's line.
type Entry struct {
	ID      string // submission id, 32 lowercase hex characters (the file is ID.age)
	Kind    string // Anonymous, Relay or Referral
	Partner string // "" for Anonymous; the partner's name otherwise
}

// Valid reports whether e can be written: a well-formed id, a known kind,
// and a partner name exactly when the kind has one.
func (e Entry) Valid() error {
	switch {
	case !lowerhex.ID(e.ID):
		return errors.New("not a submission id")
	case e.Kind == Anonymous && e.Partner != "":
		return errors.New("an anonymous upload names a partner")
	case e.Kind == Relay || e.Kind == Referral:
		if !ValidName(e.Partner) {
			return errors.New("the partner's name is not 1 to 64 printable characters without a space at either end")
		}
	case e.Kind != Anonymous:
		return errors.New("unknown kind of upload")
	}
	return nil
}

// Format returns the file for entries, one line each, sorted by id. It
// fails on an entry that is not Valid.
func Format(entries []Entry) ([]byte, error) {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	var b bytes.Buffer
	b.WriteString(header)
	for i, e := range sorted {
		if err := e.Valid(); err != nil {
			return nil, fmt.Errorf("uploader of %q: %w", e.ID, err)
		}
		if i > 0 && sorted[i-1].ID == e.ID {
			return nil, fmt.Errorf("submission %s is listed twice", e.ID)
		}
		b.WriteString(e.ID + ".age " + e.Kind)
		if e.Partner != "" {
			b.WriteString(" " + e.Partner)
		}
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// Parse reads a file that Format wrote and returns its entries by id. Any
// other content (a line out of shape, an id twice, invalid UTF-8, a
// control character, more than MaxSize bytes) is an error, and nothing of
// it is returned.
func Parse(data []byte) (map[string]Entry, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxSize)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8 text")
	}
	text, ok := strings.CutPrefix(string(data), header)
	if !ok {
		return nil, errors.New("it does not begin with the line refuge courier pull writes")
	}
	out := make(map[string]Entry)
	for n, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			break // after the last newline
		}
		e, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+2, err)
		}
		if _, dup := out[e.ID]; dup {
			return nil, fmt.Errorf("line %d: submission %s is listed twice", n+2, e.ID)
		}
		out[e.ID] = e
	}
	return out, nil
}

func parseLine(line string) (Entry, error) {
	line, ok := strings.CutSuffix(line, "\n")
	if !ok {
		return Entry{}, errors.New("the last line does not end")
	}
	name, rest, ok := strings.Cut(line, " ")
	id, isAge := strings.CutSuffix(name, ".age")
	if !ok || !isAge {
		return Entry{}, errors.New("not \"<id>.age <kind>\"")
	}
	e := Entry{ID: id}
	e.Kind, e.Partner, _ = strings.Cut(rest, " ")
	if err := e.Valid(); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// ValidName reports whether name is a partner's name as the server keeps
// them: 1 to 64 bytes of printable characters (no control or format
// characters: no line breaks, no escape sequences, no bidirectional
// overrides), without a space at either end.
func ValidName(name string) bool {
	if name == "" || len(name) > 64 || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return name[0] != ' ' && name[len(name)-1] != ' '
}
