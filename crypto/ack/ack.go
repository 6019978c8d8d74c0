// Package ack is Refuge's acknowledgement: the statement "submission X,
// whose ciphertext has SHA-256 Y, is imported" that the officers sign on the
// air-gapped machine with the key manifest's acknowledgement key, and on
// which the server deletes that ciphertext.
//
// It is the one place that defines the statement's bytes, so that the
// officer tool that writes them, the courier that carries them and the
// server that checks them agree.
//
// The acknowledgement key also signs the officers' replies ([SignReply],
// [VerifyReply]): the manifest.json of a reply bundle, which can never be
// taken for a statement, nor a statement for it.
//
// # Format
//
// The statement is compact JSON with exactly these fields, in this order:
//
//	{"submission_id":"<32 lowercase hex>","sha256":"<64 lowercase hex>","imported":true}
//
// and the signature is a detached minisign signature (refuge/crypto/signing)
// over those exact bytes, so stock minisign verifies it:
//
//	minisign -Vm <id>.json -P <ack key>
//
// On disk (the officer's outbox, which the courier pushes) they are
// acks/<submission id>.json and acks/<submission id>.json.minisig.
//
// # Guarantees
//
// [Parse] accepts only a statement of that form (unknown, missing or
// duplicate fields, field names in another letter case, trailing data,
// upper-case hex and imported false are refused) of at most [MaxStatementSize] bytes. [Verify] accepts a statement
// only if its signature verifies with the given key and it parses.
package ack

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"refuge/crypto/signing"

	"refuge/internal/lowerhex"
)

// MaxStatementSize bounds a statement's bytes.
const MaxStatementSize = 1024

// Statement says that the ciphertext of one submission is imported.
type Statement struct {
	SubmissionID string   // 32 lowercase hex characters
	SHA256       [32]byte // of the whole age file, as stored by the server
}

// wire is the JSON form; field order is the canonical order.
type wire struct {
	SubmissionID *string `json:"submission_id"`
	SHA256       *string `json:"sha256"`
	Imported     *bool   `json:"imported"`
}

// ErrMalformed means bytes are not an acknowledgement statement.
var ErrMalformed = errors.New("not an acknowledgement statement")

// Marshal returns the canonical bytes of s. It fails if the submission id
// is not 32 lowercase hex characters.
func (s Statement) Marshal() ([]byte, error) {
	if !lowerhex.Valid(s.SubmissionID, 32) {
		return nil, fmt.Errorf("%w: submission id is not 32 lowercase hex characters", ErrMalformed)
	}
	id, sum, yes := s.SubmissionID, hex.EncodeToString(s.SHA256[:]), true
	return json.Marshal(wire{SubmissionID: &id, SHA256: &sum, Imported: &yes})
}

// Parse decodes a statement strictly (see the package documentation).
// Errors wrap [ErrMalformed] and never quote the input.
func Parse(b []byte) (Statement, error) {
	var s Statement
	if len(b) > MaxStatementSize {
		return s, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxStatementSize)
	}
	if err := checkNoDuplicateKeys(b); err != nil {
		return s, err
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return s, fmt.Errorf("%w: not the expected JSON object", ErrMalformed)
	}
	if _, err := dec.Token(); err != io.EOF {
		return s, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if w.SubmissionID == nil || w.SHA256 == nil || w.Imported == nil {
		return s, fmt.Errorf("%w: needs submission_id, sha256 and imported", ErrMalformed)
	}
	if !lowerhex.Valid(*w.SubmissionID, 32) {
		return s, fmt.Errorf("%w: submission_id is not 32 lowercase hex characters", ErrMalformed)
	}
	if !lowerhex.Valid(*w.SHA256, 64) {
		return s, fmt.Errorf("%w: sha256 is not 64 lowercase hex characters", ErrMalformed)
	}
	if !*w.Imported {
		return s, fmt.Errorf("%w: it does not say imported", ErrMalformed)
	}
	s.SubmissionID = *w.SubmissionID
	_, _ = hex.Decode(s.SHA256[:], []byte(*w.SHA256))
	return s, nil
}

// checkNoDuplicateKeys refuses an object that names a field twice, or a
// field in another letter case (the standard decoder would keep the last
// one and take any case, so a signed statement could be read two ways).
func checkNoDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: not the expected JSON object", ErrMalformed)
		}
		k, _ := t.(string)
		if k != "submission_id" && k != "sha256" && k != "imported" {
			return fmt.Errorf("%w: a field name is not submission_id, sha256 or imported", ErrMalformed)
		}
		if seen[k] {
			return fmt.Errorf("%w: a field appears twice", ErrMalformed)
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%w: not the expected JSON object", ErrMalformed)
		}
	}
	return nil
}

// Sign returns the canonical statement bytes and a detached minisign
// signature over them by key (the manifest's acknowledgement key).
func Sign(key *signing.PrivateKey, s Statement) (statement, signature []byte, err error) {
	statement, err = s.Marshal()
	if err != nil {
		return nil, nil, err
	}
	signature, err = key.Sign(statement, "refuge acknowledgement "+s.SubmissionID)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot sign acknowledgement: %w", err)
	}
	return statement, signature, nil
}

// Verify checks signature over statement with key and parses the
// statement. A signature that does not verify is an error wrapping
// [ErrBadSignature].
func Verify(key signing.PublicKey, statement, signature []byte) (Statement, error) {
	if len(statement) > MaxStatementSize {
		return Statement{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxStatementSize)
	}
	if _, err := key.Verify(statement, signature); err != nil {
		return Statement{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return Parse(statement)
}

// ErrBadSignature means an acknowledgement's signature does not verify
// with the acknowledgement key.
var ErrBadSignature = errors.New("acknowledgement signature does not verify with the acknowledgement key")

// FileName returns the outbox file name of a submission's statement,
// "<id>.json"; its signature is FileName(id)+".minisig".
func FileName(submissionID string) string { return submissionID + ".json" }
