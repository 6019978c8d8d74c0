package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"refuge/client"
	"refuge/crypto/ack"
	"refuge/crypto/manifest"
	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/internal/noreplace"
	"refuge/server/api"
)

// A reply is an age file sealed to the submitter's reply recipient, and age
// does not say who sealed it: whoever knows that recipient and can place a
// file on the server could write one. The officers sign their replies with
// the key manifest's acknowledgement key (crypto/ack.SignReply); refuge
// replies checks that signature against the manifest the server serves,
// verified with the pinned root key and the seen-version store as refuge
// submit verifies it. A reply that is not signed, or whose signature does
// not verify, is still shown and saved, with a warning.

// replyAuthority is the key that replies are checked against, or why they
// cannot be checked.
type replyAuthority struct {
	key signing.PublicKey // the acknowledgement key; zero if none
	// unchecked says why no reply can be checked on this run, when key
	// is zero: "no root key is known on this device".
	unchecked string
}

// replyAuthority fetches the key manifest and returns its acknowledgement
// key. Only what would stop every command alike is an error: the network,
// a --root-pub that is not a key, a seen-version store that cannot be read.
// A manifest refused, or one without an acknowledgement key, leaves the
// replies unchecked, and says so once.
func (e *env) replyAuthority(ctx context.Context, c *client.Client, p profile, state string) (replyAuthority, error) {
	if p.RootPub == "" {
		a := replyAuthority{unchecked: "no root key is known on this device"}
		e.out.Warnf("who wrote these replies cannot be checked: %s", a.unchecked)
		e.out.Hintf("give the officers' root public key, from the organisation that referred you or another trusted source, with --root-pub KEY (or keep it with refuge init --server URL --root-pub KEY): refuge replies then checks that each reply is signed by the officers")
		return a, nil
	}
	if !validRootPub(p.RootPub) {
		return replyAuthority{}, cli.BadRootPub(prog + " replies")
	}
	m, sig, err := c.Manifest(ctx)
	if errors.Is(err, api.ErrNotFound) {
		a := replyAuthority{unchecked: "the server has no key manifest"}
		e.out.Warnf("who wrote these replies cannot be checked: %s", a.unchecked)
		return a, nil
	}
	if err != nil {
		return replyAuthority{}, netFail("", err)
	}
	km, err := checkServedManifest("replies", p.RootPub, m, sig, state, time.Now())
	var ce *cli.Error
	switch {
	case errors.As(err, &ce):
		return replyAuthority{}, err
	case errors.Is(err, manifest.ErrExpired):
		a := replyAuthority{unchecked: "the officers' key manifest on the server has expired"}
		e.out.Warnf("who wrote these replies cannot be checked: %s", a.unchecked)
		return a, nil
	case err != nil:
		a := replyAuthority{unchecked: "the officers' key manifest on the server was refused (" + err.Error() + ")"}
		e.out.Warnf("who wrote these replies cannot be checked: %s", a.unchecked)
		e.out.Hintf("the server may be misconfigured or compromised: confirm every reply through the organisation that referred you, or another channel you trust")
		return a, nil
	}
	key, ok := km.AckPublicKey()
	if !ok {
		a := replyAuthority{unchecked: fmt.Sprintf("the key manifest (version %d) names no acknowledgement key", km.Version)}
		e.out.Warnf("who wrote these replies cannot be checked: %s", a.unchecked)
		return a, nil
	}
	e.out.Infof("checking each reply's signature against the officers' acknowledgement key (key manifest version %d, signed by the pinned root key)", km.Version)
	return replyAuthority{key: key}, nil
}

// replyVerdict is what refuge replies tells about one reply.
type replyVerdict struct {
	signed   bool   // signed by the acknowledgement key of the verified manifest
	signedOn string // the reply's own day (in what was signed), when signed
	checked  bool   // false: no check was possible (replyAuthority.unchecked)
	why      string // when not signed: why, in plain words, never quoting the reply
}

// check verifies a reply bundle's signature.
func (a replyAuthority) check(manifestJSON, signature []byte, submissionID, day string) replyVerdict {
	if a.key.IsZero() {
		return replyVerdict{why: a.unchecked}
	}
	err := ack.VerifyReply(a.key, manifestJSON, signature, submissionID)
	switch {
	case err == nil:
		return replyVerdict{signed: true, signedOn: day, checked: true}
	case errors.Is(err, ack.ErrReplyUnsigned):
		return replyVerdict{checked: true, why: "it carries no signature"}
	case errors.Is(err, ack.ErrNotReply):
		return replyVerdict{checked: true, why: "what it signs is not this reply"}
	}
	return replyVerdict{checked: true, why: "its signature is not the officers' acknowledgement key's"}
}

// plain is the verdict on a reply that is a plain age file: it cannot carry
// a signature.
func (a replyAuthority) plain() replyVerdict {
	if a.key.IsZero() {
		return replyVerdict{why: a.unchecked}
	}
	return replyVerdict{checked: true, why: "it is a plain message, which carries no signature"}
}

// label is what the header line of a reply says about who wrote it.
func (v replyVerdict) label() string {
	switch {
	case v.signed:
		return "signed by the officers on " + v.signedOn
	case !v.checked:
		return "NOT CHECKED: may not be from the officers"
	}
	return "NOT SIGNED: may not be from the officers"
}

// confirmFirst is the advice given with every reply not signed by the
// officers.
const confirmFirst = "before acting on it, confirm it through the organisation that referred you, or another channel you trust"

// warnReply says on standard error that reply n may not come from the
// officers, and why; nothing for a signed reply.
func (e *env) warnReply(v replyVerdict, n, total int) {
	if v.signed {
		return
	}
	what := "is NOT signed by the officers"
	if !v.checked {
		what = "could not be checked"
	}
	e.out.Warnf("reply %d of %d %s (%s): it may not come from them; %s", n, total, what, v.why, confirmFirst)
}

// unsignedNote is the side file saved with a reply not signed by the
// officers, directly in DIR/reply-<id>/, where the reply's own files
// cannot be.
const unsignedNote = "WARNING-may-not-come-from-the-officers.txt"

// writeWarning writes the side file into the partial reply folder dest.
func writeWarning(dest string, v replyVerdict) error {
	if v.signed {
		return nil
	}
	what := "is NOT signed by the officers"
	if !v.checked {
		what = "could not be checked on this device"
	}
	text := fmt.Sprintf("WARNING: this reply %s (%s).\n\n"+
		"It may not come from the officers: whoever knows your reply key and can\n"+
		"place a file on the server could have written it. Before acting on it\n"+
		"(going somewhere, sending something, trusting a date or an address),\n"+
		"confirm it through the organisation that referred you, or another\n"+
		"channel you trust.\n", what, v.why)
	return noreplace.WriteFile(filepath.Join(dest, unsignedNote), func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	})
}
