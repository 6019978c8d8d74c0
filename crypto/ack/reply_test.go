package ack

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/crypto/bundle"
	"refuge/crypto/signing"
)

// sealedReply seals a reply bundle with c (Kind reply unless set), opens
// it as refuge replies does and returns its exact manifest.json and
// signature (nil if unsigned).
func sealedReply(t *testing.T, c bundle.Contents) (manifestJSON, signature []byte) {
	t.Helper()
	if c.Kind == "" {
		c.Kind = bundle.KindReply
	}
	identity, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := bundle.Seal(&b, []age.Recipient{identity.Recipient()}, c); err != nil {
		t.Fatal(err)
	}
	res, err := bundle.Open(&b, []age.Identity{identity}, t.TempDir(), bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.ManifestJSON, res.Signature
}

func newKey(t *testing.T) *signing.PrivateKey {
	t.Helper()
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Destroy)
	return k
}

// TestReplySignature: a reply signed with the acknowledgement key through
// bundle.Contents.Sign verifies; every other reply, and the officers'
// signature with its trusted comment, algorithm or key id changed, is
// refused with the reason, and no error quotes the reply.
func TestReplySignature(t *testing.T) {
	ackKey, partner, stale := newKey(t), newKey(t), newKey(t)
	other := strings.Repeat("fe", 16)
	mj, sig := sealedReply(t, bundle.Contents{Note: []byte("come on Tuesday"), SubmissionID: id, Sign: SignReply(ackKey, id)})
	if err := VerifyReply(ackKey.Public(), mj, sig, id); err != nil {
		t.Fatalf("a signed reply: %v", err)
	}
	unsignedMJ, unsigned := sealedReply(t, bundle.Contents{Note: []byte("come on Tuesday"), SubmissionID: id})
	plantedMJ, _ := sealedReply(t, bundle.Contents{Note: []byte("come on Monday"), SubmissionID: id})
	partnerMJ, partnerSig := sealedReply(t, bundle.Contents{Note: []byte("come on Tuesday"), SubmissionID: id,
		Sign: func(mj []byte) ([]byte, error) { return partner.Sign(mj, "refuge referral by partner-a") }})
	staleMJ, staleSig := sealedReply(t, bundle.Contents{Note: []byte("come on Tuesday"), SubmissionID: id, Sign: SignReply(stale, id)})
	otherMJ, otherSig := sealedReply(t, bundle.Contents{Note: []byte("see you soon"), SubmissionID: other, Sign: SignReply(ackKey, other)})
	stmt, ackSig, err := Sign(ackKey, Statement{SubmissionID: id, SHA256: sha256.Sum256([]byte("ciphertext"))})
	if err != nil {
		t.Fatal(err)
	}
	// A referral manifest signed by the ack key (something the officers'
	// tools never make) is still not a reply.
	referralMJ, _ := sealedReply(t, bundle.Contents{Kind: bundle.KindReferral, Partner: "partner-a", Note: []byte("x"), SubmissionID: id})
	referralSig, err := ackKey.Sign(referralMJ, "x")
	if err != nil {
		t.Fatal(err)
	}
	// The officers' signature with one part changed: its trusted comment
	// (which the second signature covers), its algorithm (prehashed made
	// legacy: then it would sign the 64-byte BLAKE2b hash, not the
	// manifest), its key id (the signature still from the ack key).
	tampered := func(change func(*minisign.Signature)) []byte {
		var s minisign.Signature
		if err := s.UnmarshalText(sig); err != nil {
			t.Fatal(err)
		}
		change(&s)
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	comment := tampered(func(s *minisign.Signature) { s.TrustedComment = "refuge reply to " + other })
	legacy := tampered(func(s *minisign.Signature) { s.Algorithm = minisign.EdDSA })
	keyID := tampered(func(s *minisign.Signature) { s.KeyID ^= 1 })
	for _, c := range []struct {
		desc     string
		mj, sig  []byte
		sub      string
		want     error
		notQuote string
	}{
		{"unsigned", unsignedMJ, unsigned, id, ErrReplyUnsigned, ""},
		{"signed by a partner key", partnerMJ, partnerSig, id, ErrBadReplySignature, ""},
		{"signed by a stale acknowledgement key", staleMJ, staleSig, id, ErrBadReplySignature, ""},
		{"signature over another reply", plantedMJ, sig, id, ErrBadReplySignature, ""},
		{"manifest changed after signing", bytes.Replace(mj, []byte(`"created"`), []byte(` "created"`), 1), sig, id, ErrBadReplySignature, ""},
		{"an acknowledgement's signature", mj, ackSig, id, ErrBadReplySignature, ""},
		{"an acknowledgement with its signature", stmt, ackSig, id, ErrNotReply, ""},
		{"a reply to another submission", otherMJ, otherSig, id, ErrNotReply, other},
		{"a referral signed by the ack key", referralMJ, referralSig, id, ErrNotReply, "partner-a"},
		{"trusted comment changed", mj, comment, id, ErrBadReplySignature, ""},
		{"algorithm changed to legacy", mj, legacy, id, ErrBadReplySignature, ""},
		{"key id changed", mj, keyID, id, ErrBadReplySignature, ""},
		{"garbage signature", mj, []byte("come to 5 Main Street"), id, ErrBadReplySignature, "Main Street"},
		{"oversized signature", mj, bytes.Repeat([]byte("A"), signing.MaxSignatureSize+1), id, ErrBadReplySignature, ""},
	} {
		t.Run(c.desc, func(t *testing.T) {
			err := VerifyReply(ackKey.Public(), c.mj, c.sig, c.sub)
			if !errors.Is(err, c.want) {
				t.Fatalf("VerifyReply: %v, want %v", err, c.want)
			}
			if c.notQuote != "" && strings.Contains(err.Error(), c.notQuote) {
				t.Fatalf("the error quotes the reply: %v", err)
			}
		})
	}
}

// TestReplyAndAckSignaturesApart: the acknowledgement key's two kinds of
// signature cannot stand for each other, in both directions. A reply's
// signature posted as an acknowledgement (the server verifies with ack.Verify)
// is refused: its bytes verify but are no statement. An acknowledgement's
// statement and signature put into a reply are no reply. And SignReply
// refuses to sign a statement.
func TestReplyAndAckSignaturesApart(t *testing.T) {
	ackKey := newKey(t)
	mj, sig := sealedReply(t, bundle.Contents{Note: []byte("accepted"), SubmissionID: id, Sign: SignReply(ackKey, id)})
	if _, err := Verify(ackKey.Public(), mj, sig); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a reply's manifest and signature taken as an acknowledgement: %v, want ErrMalformed", err)
	}
	if _, err := Parse(mj); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a reply manifest parses as a statement: %v", err)
	}
	stmt, ackSig, err := Sign(ackKey, Statement{SubmissionID: id, SHA256: sha256.Sum256([]byte("ciphertext"))})
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyReply(ackKey.Public(), stmt, ackSig, id); !errors.Is(err, ErrNotReply) {
		t.Fatalf("an acknowledgement taken as a reply: %v, want ErrNotReply", err)
	}
	if _, err := bundle.ParseManifest(stmt); err == nil {
		t.Fatal("an acknowledgement statement parses as a bundle manifest")
	}
	if _, err := SignReply(ackKey, id)(stmt); !errors.Is(err, ErrNotReply) {
		t.Fatalf("SignReply signed an acknowledgement statement: %v", err)
	}
}

// TestSignReplyRefusesOtherBundles: sealing a bundle that is not a reply
// to that submission with the reply signer fails; nothing is signed.
func TestSignReplyRefusesOtherBundles(t *testing.T) {
	ackKey := newKey(t)
	identity, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []bundle.Contents{
		{Kind: bundle.KindReply, SubmissionID: strings.Repeat("fe", 16), Note: []byte("x"), Sign: SignReply(ackKey, id)},
		{Kind: bundle.KindAnonymous, SubmissionID: id, Note: []byte("x"), Sign: SignReply(ackKey, id)},
	} {
		var b bytes.Buffer
		if _, err := bundle.Seal(&b, []age.Recipient{identity.Recipient()}, c); !errors.Is(err, ErrNotReply) {
			t.Errorf("sealing %s for %s with the reply signer: %v, want ErrNotReply", c.Kind, c.SubmissionID, err)
		}
	}
}

// FuzzSignedBytesApart: no bytes are both an acknowledgement statement and
// a bundle manifest, so no signature by the acknowledgement key can be
// read both ways; and whatever checkReply accepts is a reply manifest.
func FuzzSignedBytesApart(f *testing.F) {
	sum := strings.Repeat("0f", 32)
	f.Add([]byte(`{"submission_id":"` + id + `","sha256":"` + sum + `","imported":true}`))
	f.Add([]byte(`{"format":"refuge-bundle-v1","kind":"reply","created":"2026-11-30","submission_id":"` + id + `","reply_recipient":"","partner":"","entries":[]}`))
	f.Add([]byte(`{"format":"refuge-bundle-v1","kind":"reply","created":"2026-11-30","submission_id":"` + id + `","reply_recipient":"","partner":"","entries":[],"sha256":"` + sum + `","imported":true}`))
	f.Add([]byte(`{"submission_id":"` + id + `","kind":"reply","imported":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, ackErr := Parse(b)
		m, bundleErr := bundle.ParseManifest(b)
		if ackErr == nil && bundleErr == nil {
			t.Fatalf("%q is both an acknowledgement statement and a bundle manifest", b)
		}
		if err := checkReply(b, id); err == nil && (bundleErr != nil || m.Kind != bundle.KindReply || m.SubmissionID != id) {
			t.Fatalf("checkReply accepted %q, not a reply manifest for %s", b, id)
		}
	})
}
