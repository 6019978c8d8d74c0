package bundle

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// StanzaType is the age header stanza type of post-quantum hybrid recipients
// (age1pq1, ML-KEM-768 + X25519), the only type Refuge accepts.
const StanzaType = "mlkem768x25519"

// maxHeaderSize bounds how much HeaderStanzaTypes reads.
const maxHeaderSize = 1 << 20

// pqOnly is an age.Identity that refuses any header holding a stanza that is
// not post-quantum, then tries the wrapped identities in order.
type pqOnly []age.Identity

func (ids pqOnly) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if err := checkStanzas(stanzas); err != nil {
		return nil, err
	}
	for _, id := range ids {
		key, err := id.Unwrap(stanzas)
		if errors.Is(err, age.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, age.ErrIncorrectIdentity
}

func checkStanzas(stanzas []*age.Stanza) error {
	for _, s := range stanzas {
		if s.Type != StanzaType {
			return ErrNotPostQuantum
		}
	}
	return nil
}

// errStanzasRecorded stops age.DecryptHeader once the stanzas are recorded.
var errStanzasRecorded = errors.New("stanzas recorded")

type stanzaRecorder struct{ types *[]string }

func (r stanzaRecorder) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		*r.types = append(*r.types, s.Type)
	}
	return nil, errStanzasRecorded
}

// HeaderStanzaTypes parses the age header at the start of r, without any key,
// and returns the type of each recipient stanza in order. It reads at most
// 1 MiB of r (plus buffering); the header MAC is not checked (it needs the
// file key). A server uses it to check that a finished upload is an age file
// encrypted only to post-quantum recipients; see [CheckStanzaTypes].
func HeaderStanzaTypes(r io.Reader) ([]string, error) {
	hdr, err := age.ExtractHeader(io.LimitReader(r, maxHeaderSize))
	if err != nil {
		return nil, fmt.Errorf("not an age file: %v", err)
	}
	var types []string
	if _, err := age.DecryptHeader(hdr, stanzaRecorder{&types}); !errors.Is(err, errStanzasRecorded) {
		return nil, fmt.Errorf("not an age file: %v", err)
	}
	return types, nil
}

// CheckStanzaTypes reports an error wrapping [ErrNotPostQuantum] unless types
// is not empty and every type is [StanzaType].
func CheckStanzaTypes(types []string) error {
	if len(types) == 0 {
		return fmt.Errorf("%w: no recipient stanza", ErrNotPostQuantum)
	}
	for _, t := range types {
		if t != StanzaType {
			return ErrNotPostQuantum
		}
	}
	return nil
}
