package server

import (
	"refuge/crypto/ack"
)

// parseAck decodes an acknowledgement statement strictly (the format is
// crypto/ack's, shared with the officer tool and the courier) and returns
// the submission id and the ciphertext hash it names.
func parseAck(b []byte) (id string, sum [32]byte, err error) {
	s, err := ack.Parse(b)
	if err != nil {
		return "", sum, err
	}
	return s.SubmissionID, s.SHA256, nil
}

// Statement returns the canonical bytes of an acknowledgement statement
// (crypto/ack), for tests and tools that sign one. submissionID must be
// 32 lowercase hex characters; otherwise the result is nil.
func Statement(submissionID string, sum [32]byte) []byte {
	b, _ := ack.Statement{SubmissionID: submissionID, SHA256: sum}.Marshal()
	return b
}
