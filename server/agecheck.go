package server

import (
	"errors"
	"fmt"
	"io"

	"refuge/crypto/bundle"
)

// checkAge returns a completion check for the store: the ciphertext must
// be an age file whose recipient stanzas are all post-quantum
// ("mlkem768x25519"); want > 0 also requires exactly that many (the
// current manifest's recipients), want == 0 at least one (a reply, to one
// submitter). Only the header is read, with no key.
func checkAge(want int) func(io.Reader) error {
	return func(r io.Reader) error {
		types, err := bundle.HeaderStanzaTypes(r)
		if err != nil {
			return errors.New("not an age file: the header is malformed")
		}
		if err := bundle.CheckStanzaTypes(types); err != nil {
			return errors.New("the age file has no recipient, or one that is not post-quantum (mlkem768x25519)")
		}
		if want > 0 && len(types) != want {
			return fmt.Errorf("the age file has %d recipients; the current manifest has %d", len(types), want)
		}
		return nil
	}
}
