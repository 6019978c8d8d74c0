package server

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"

	"refuge/server/api"
)

// maxAckStatement bounds the signed statement of an acknowledgement.
const maxAckStatement = 1024

// parseAck decodes an acknowledgement statement strictly: exactly the
// fields of api.AckStatement, a 32-hex submission id, a 64-hex SHA-256
// and imported true. It returns the id and the hash.
func parseAck(b []byte) (id string, sum [32]byte, err error) {
	if len(b) > maxAckStatement {
		return "", sum, errors.New("acknowledgement statement is too long")
	}
	var a struct {
		SubmissionID *string `json:"submission_id"`
		SHA256       *string `json:"sha256"`
		Imported     *bool   `json:"imported"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return "", sum, errors.New("acknowledgement statement is not the expected JSON object")
	}
	if dec.More() {
		return "", sum, errors.New("acknowledgement statement has data after the JSON object")
	}
	if a.SubmissionID == nil || a.SHA256 == nil || a.Imported == nil {
		return "", sum, errors.New("acknowledgement statement needs submission_id, sha256 and imported")
	}
	if !isHexID(*a.SubmissionID) {
		return "", sum, errors.New("acknowledgement submission_id is not 32 lowercase hex characters")
	}
	if !isLowerHex(*a.SHA256, 64) {
		return "", sum, errors.New("acknowledgement sha256 is not 64 lowercase hex characters")
	}
	if !*a.Imported {
		return "", sum, errors.New("acknowledgement does not say imported")
	}
	_, _ = hex.Decode(sum[:], []byte(*a.SHA256))
	return *a.SubmissionID, sum, nil
}

// Statement returns the canonical bytes of an acknowledgement statement,
// for the officer tool to sign.
func Statement(submissionID string, sum [32]byte) []byte {
	b, _ := json.Marshal(api.AckStatement{SubmissionID: submissionID, SHA256: hex.EncodeToString(sum[:]), Imported: true})
	return b
}
