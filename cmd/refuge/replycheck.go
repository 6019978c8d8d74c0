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
// key. Only what would stop every command alike is an error: a --root-pub
// that is not a key, a seen-version store that cannot be read, Ctrl-C.
// Whatever the server does with the manifest (none, one too large, not
// JSON, a bad or missing signature, another root key, expired, older than
// one seen, an error, a cut connection, an answer too slow) leaves the
// replies unchecked, and says so once: a seized or broken server must not
// be able to hide the officers' replies by breaking their key manifest.
// Only a manifest that passed every check is recorded as seen.
func (e *env) replyAuthority(ctx context.Context, c *client.Client, p profile, state string) (replyAuthority, error) {
	if p.RootPub == "" {
		return e.uncheckedReplies("no root key is known on this device", "",
			"give the officers' root public key, from the organisation that referred you or another trusted source, with --root-pub KEY (or keep it with refuge init --server URL --root-pub KEY): refuge replies then checks that each reply is signed by the officers"), nil
	}
	if !validRootPub(p.RootPub) {
		return replyAuthority{}, cli.BadRootPub(prog + " replies")
	}
	m, sig, err := c.Manifest(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		return replyAuthority{}, netFail("", err) // interrupted: stop as every command does
	case errors.Is(err, api.ErrNotFound):
		return e.uncheckedReplies("the server has no signed key manifest", err.Error(), serverSuspect), nil
	case err != nil:
		return e.uncheckedReplies("the officers' key manifest could not be fetched from the server", err.Error(),
			"the server may be down, overloaded, misconfigured or compromised, or the connection was cut: run the same command again later to check the replies; until then, confirm every reply through the organisation that referred you, or another channel you trust"), nil
	}
	km, err := checkServedManifest("replies", p.RootPub, m, sig, state, time.Now())
	var ce *cli.Error
	switch {
	case errors.As(err, &ce):
		return replyAuthority{}, err
	case errors.Is(err, manifest.ErrExpired):
		return e.uncheckedReplies("the officers' key manifest on the server has expired", "", ""), nil
	case err != nil:
		return e.uncheckedReplies("the officers' key manifest on the server was refused ("+err.Error()+")", "", serverSuspect), nil
	}
	key, ok := km.AckPublicKey()
	if !ok {
		return e.uncheckedReplies(fmt.Sprintf("the key manifest (version %d) names no acknowledgement key", km.Version), "", ""), nil
	}
	e.out.Infof("checking each reply's signature against the officers' acknowledgement key (key manifest version %d, signed by the pinned root key)", km.Version)
	return replyAuthority{key: key}, nil
}

// serverSuspect is the hint given when the server's key manifest is
// missing or was refused.
const serverSuspect = "the server may be misconfigured or compromised: confirm every reply through the organisation that referred you, or another channel you trust"

// uncheckedReplies leaves every reply of this run unchecked (shown NOT
// CHECKED, with why), and says so once on standard error: why, then
// detail (what failed, in the client's words) if any, then hint if any.
func (e *env) uncheckedReplies(why, detail, hint string) replyAuthority {
	if detail != "" {
		e.out.Warnf("who wrote these replies cannot be checked: %s (%s)", why, detail)
	} else {
		e.out.Warnf("who wrote these replies cannot be checked: %s", why)
	}
	if hint != "" {
		e.out.Hintf("%s", hint)
	}
	return replyAuthority{unchecked: why}
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
