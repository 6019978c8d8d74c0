package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"refuge/internal/termtext"
	"refuge/internal/uploaders"
)

// Who uploaded a bundle is the server's record, which the courier carries
// in UPLOADERS (package uploaders): the kind of upload and the partner
// whose token made it. Who sent it is what the bundle itself shows: a
// partner's signature over manifest.json, or none. The report shows both
// and, when they disagree, says so in a notice. The notice is not a flag:
// it rests on a record signed by no one, which the server could as well
// make up or leave out, so it withholds no acknowledgement.

// sigState is what checkSender found of a bundle's partner signature.
type sigState int

const (
	sigNone      sigState = iota // no partner signature: a defender's bundle, or a flagged one naming a partner
	sigVerified                  // verified with the key manifest's key for the partner the bundle names
	sigUnchecked                 // present, naming a partner, not checked: no key manifest given
	sigOther                     // invalid, of a partner the key manifest does not list, or naming none
)

// uploaderOf says who uploaded the bundle pulled as id, from the
// courier's UPLOADERS beside it: the server's record, signed by no one,
// shown for what it is. It is what names the partner who relayed a bundle
// its defender sealed anonymously. It returns "" and no entry when there
// is no UPLOADERS (a bundle handed over by hand), and no entry when the
// file cannot be read or does not list the bundle.
func uploaderOf(source, id string) (string, *uploaders.Entry) {
	f, err := openBeside(source, uploaders.FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "the courier's " + uploaders.FileName + " beside the bundle cannot be read: " + termtext.Line(err.Error()), nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, uploaders.MaxSize+1))
	if err != nil {
		return "the courier's " + uploaders.FileName + " beside the bundle cannot be read: " + termtext.Line(err.Error()), nil
	}
	list, err := uploaders.Parse(data)
	if err != nil {
		return "the courier's " + uploaders.FileName + " beside the bundle is malformed, not read (" + termtext.Line(err.Error()) + ")", nil
	}
	en, ok := list[id]
	if !ok {
		return "not listed in the courier's " + uploaders.FileName + " beside the bundle", nil
	}
	const record = "the server's record of the token used; not signed"
	switch en.Kind {
	case uploaders.Relay:
		return fmt.Sprintf("relayed by partner %q (%s)", en.Partner, record), &en
	case uploaders.Referral:
		return fmt.Sprintf("as a referral by partner %q (%s)", en.Partner, record), &en
	}
	return "anonymously, with no token (the server's record; not signed)", &en
}

// uploadNotice says what disagrees between the server's record of an
// upload and the bundle's signature, what that can mean, and whom to ask.
type uploadNotice struct {
	what, meaning, ask string
}

// noticeHead heads the notice in report.txt; a later open finds it there
// (readReportRecord).
const noticeHead = "NOTICE: the server's record of the upload and the bundle's signature disagree"

// uploadMismatch compares the server's record en (nil when there is none)
// with the bundle's signature: the partner named in the bundle, whose
// signature is in state sig. It returns nil when they agree:
//
//   - an anonymous upload of an unsigned bundle (a defender's submission);
//   - a relay of an unsigned bundle (a defender sealed it; a partner carried it);
//   - a referral or a relay by the partner who signed the bundle.
//
// It disagrees when a referral by a partner's token carries no signature,
// when the signature is another partner's than the token's, and when a
// signed bundle was uploaded anonymously. A signature that is invalid, of
// a partner the key manifest does not list, or names none is already
// flagged or says so on the sender line: there is no signer to compare.
func uploadMismatch(en *uploaders.Entry, bundlePartner string, sig sigState) *uploadNotice {
	if en == nil || sig == sigOther {
		return nil
	}
	token := fmt.Sprintf("partner %q", en.Partner)
	signer := fmt.Sprintf("partner %q", termtext.Line(bundlePartner))
	bundleSays := "the bundle is signed by " + signer
	shows := "the signature shows what " + signer + " sent, not who uploaded it"
	if sig == sigUnchecked {
		bundleSays = "the bundle names " + signer + " as its signer (signature NOT VERIFIED: no --manifest given)"
		shows = "if its signature verifies, it shows what " + signer + " sent, not who uploaded it"
	}
	switch {
	case en.Kind == uploaders.Referral && sig == sigNone:
		return &uploadNotice{
			what: "the server recorded a referral uploaded with the token of " + token + ", but the bundle carries no partner signature",
			meaning: "it can mean that someone has the token of " + token + " but not its signing key (a compromised partner token), " +
				"that the server's record is false (a compromised server), " +
				"or that " + token + " uploaded a bundle a defender sealed as a referral rather than as a relay",
			ask: "ask " + token,
		}
	case en.Kind == uploaders.Anonymous && sig != sigNone:
		return &uploadNotice{
			what: "the server recorded an anonymous upload, with no token, but " + bundleSays,
			meaning: shows + ": a partner uploads its referrals with its token, so it can mean " +
				"that the server's record is false (a compromised server), " +
				"or that someone without the token of " + signer + " uploaded a copy of its bundle (taken from it, or handed on by it)",
			ask: "ask " + signer,
		}
	case en.Kind != uploaders.Anonymous && sig != sigNone && en.Partner != bundlePartner:
		what := "the server recorded a referral uploaded with the token of " + token + ", but " + bundleSays
		if en.Kind == uploaders.Relay {
			what = "the server recorded a relay by " + token + ", but " + bundleSays
		}
		return &uploadNotice{
			what: what,
			meaning: shows + ": it can mean that " + token + " carried a bundle of " + signer + ", " +
				"that someone has the token of " + token + " and a copy of the bundle (a compromised partner token), " +
				"or that the server's record is false (a compromised server); " +
				"or only that the server's operator named the token of " + token + " otherwise than the key manifest names the partner",
			ask: "ask " + token + " and " + signer,
		}
	}
	return nil
}

// lines renders the notice for report.txt, below noticeHead.
func (n *uploadNotice) lines() []string {
	return []string{
		n.what,
		n.meaning,
		n.ask + ", by another channel than Refuge; the server's record is not signed and proves nothing, " +
			"the \"sender\" line says what the bundle itself shows",
	}
}
