package main

import (
	"io"
	"os"
)

// Every age file begins with ageIntro; one encrypted with a passphrase
// (an officer key) has a single scrypt stanza, the next line.
const (
	ageIntro     = "age-encryption.org/v1\n"
	scryptStanza = "-> scrypt "
)

// readHead reads up to n bytes from the start of f, whatever its offset,
// to tell what kind of file the officer named before using it.
func readHead(f *os.File, n int) ([]byte, error) {
	b := make([]byte, n)
	k, err := f.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return b[:k], nil
}
