package server

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// pqStanza is the stanza type of age's post-quantum hybrid recipients.
const pqStanza = "mlkem768x25519"

// stanzaTypes reads an age header from r and returns its recipient
// stanza types, without any key: an identity that matches nothing makes
// age parse the whole header and report the types it saw.
func stanzaTypes(r io.Reader) ([]string, error) {
	hdr, err := age.ExtractHeader(r)
	if err != nil {
		return nil, errors.New("not an age file: the header is malformed")
	}
	_, err = age.DecryptHeader(hdr, recorder{})
	var nm *age.NoIdentityMatchError
	if !errors.As(err, &nm) {
		return nil, errors.New("not an age file: the header could not be read")
	}
	return nm.StanzaTypes, nil
}

// recorder is an age.Identity that matches no stanza.
type recorder struct{}

func (recorder) Unwrap([]*age.Stanza) ([]byte, error) { return nil, age.ErrIncorrectIdentity }

// checkAge returns a completion check for the store: the ciphertext must
// be an age file whose stanzas are all post-quantum; want > 0 also
// requires exactly that many (the current manifest's recipients), want
// == 0 at least one (replies, encrypted to one submitter).
func checkAge(want int) func(io.Reader) error {
	return func(r io.Reader) error {
		types, err := stanzaTypes(r)
		if err != nil {
			return err
		}
		for _, t := range types {
			if t != pqStanza {
				return errors.New("the age file has a recipient that is not post-quantum (mlkem768x25519)")
			}
		}
		if want > 0 && len(types) != want {
			return fmt.Errorf("the age file has %d recipients; the current manifest has %d", len(types), want)
		}
		if len(types) == 0 {
			return errors.New("the age file has no recipient")
		}
		return nil
	}
}
