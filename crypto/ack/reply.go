package ack

import (
	"errors"
	"fmt"

	"refuge/crypto/bundle"
	"refuge/crypto/signing"
)

// The acknowledgement key signs one other thing: the officers' replies.
// A reply is a bundle of kind "reply" (refuge/crypto/bundle) sealed to the
// submitter's reply recipient; age does not say who sealed it, so anyone
// who knows that recipient and can place a file on the server could write
// one. The officers sign the reply bundle's exact manifest.json (format
// refuge-bundle-v1, kind "reply", the submission id it answers, and every
// entry's size and SHA-256) with the acknowledgement key, stored in the
// bundle as manifest.json.minisig, the entry a partner's referral
// signature uses.
//
// The two kinds of signed bytes cannot be mistaken for each other: [Parse]
// accepts only the three fields of a statement, and a bundle manifest has
// seven others, which [bundle.ParseManifest] requires; [SignReply] and
// [VerifyReply] check the bytes with both.

var (
	// ErrReplyUnsigned means a reply carries no signature.
	ErrReplyUnsigned = errors.New("the reply is not signed")
	// ErrBadReplySignature means a reply's signature does not verify with
	// the acknowledgement key: another key signed it, or other bytes.
	ErrBadReplySignature = errors.New("the reply's signature does not verify with the officers' acknowledgement key")
	// ErrNotReply means the bytes signed or checked as a reply's manifest
	// are not the manifest.json of a reply to that submission.
	ErrNotReply = errors.New("not the manifest of a reply to this submission")
)

// SignReply returns the bundle.Contents.Sign function that signs the
// manifest.json of a reply to submissionID with key (the key manifest's
// acknowledgement key). It refuses to sign anything else.
func SignReply(key *signing.PrivateKey, submissionID string) func(manifestJSON []byte) ([]byte, error) {
	return func(manifestJSON []byte) ([]byte, error) {
		if err := checkReply(manifestJSON, submissionID); err != nil {
			return nil, err
		}
		sig, err := key.Sign(manifestJSON, "refuge reply to "+submissionID)
		if err != nil {
			return nil, fmt.Errorf("cannot sign the reply: %w", err)
		}
		return sig, nil
	}
}

// VerifyReply checks that signature, by key (the acknowledgement key of the
// verified key manifest), is over manifestJSON, and that manifestJSON is the
// manifest of a reply to submissionID. A nil signature is
// [ErrReplyUnsigned]; one that does not verify wraps [ErrBadReplySignature];
// bytes that are not such a manifest wrap [ErrNotReply]. Errors never quote
// the reply.
func VerifyReply(key signing.PublicKey, manifestJSON, signature []byte, submissionID string) error {
	if signature == nil {
		return ErrReplyUnsigned
	}
	if err := checkReply(manifestJSON, submissionID); err != nil {
		return err
	}
	if _, err := key.Verify(manifestJSON, signature); err != nil {
		return fmt.Errorf("%w: %v", ErrBadReplySignature, err)
	}
	return nil
}

// checkReply refuses bytes that are not the manifest.json of a reply to
// submissionID, or that are an acknowledgement statement.
func checkReply(manifestJSON []byte, submissionID string) error {
	if _, err := Parse(manifestJSON); err == nil {
		return fmt.Errorf("%w: it is an acknowledgement statement", ErrNotReply)
	}
	m, err := bundle.ParseManifest(manifestJSON)
	switch {
	case err != nil:
		return fmt.Errorf("%w: not a bundle manifest", ErrNotReply)
	case m.Kind != bundle.KindReply:
		return fmt.Errorf("%w: a bundle of kind %s", ErrNotReply, m.Kind)
	case m.SubmissionID != submissionID:
		return fmt.Errorf("%w: it answers another submission", ErrNotReply)
	}
	return nil
}
