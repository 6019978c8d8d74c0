package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	root := newKey(t)
	m := goodManifest(t)
	mj, sig, err := Sign(m, root, testNow)
	if err != nil {
		t.Fatal(err)
	}
	seen := seenStore(t)
	got, err := Verify(mj, sig, root.Public(), testNow, seen)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Version != 3 || got.Format != Format || got.Expires != m.Expires || len(got.Recipients) != 1 {
		t.Errorf("verified manifest differs: %+v", got)
	}
	rs, err := got.AgeRecipients()
	if err != nil || len(rs) != 1 {
		t.Fatalf("AgeRecipients: %v", err)
	}
	if k, ok := got.PartnerKey("fld"); !ok || k.String() != m.Partners[0].Key {
		t.Error("PartnerKey(fld) missing or wrong")
	}
	if _, ok := got.PartnerKey("other"); ok {
		t.Error("PartnerKey found an unknown partner")
	}
	if k, ok := got.AckPublicKey(); !ok || k.String() != m.AckKey {
		t.Error("AckPublicKey missing or wrong")
	}
	if h, _ := seen.Highest(root.Public()); h != 3 {
		t.Errorf("Verify recorded version %d, want 3", h)
	}
	// The same manifest verifies again (equal version is not a rollback).
	if _, err := Verify(mj, sig, root.Public(), testNow, seen); err != nil {
		t.Fatalf("second Verify of the same manifest: %v", err)
	}
	if !strings.Contains(string(sig), "trusted comment: refuge-manifest-v1 version:3 expires:"+m.Expires) {
		t.Errorf("signature lacks the trusted comment:\n%s", sig)
	}
}

// signRaw signs arbitrary bytes with root, bypassing Sign's checks, to test
// that Verify still refuses bad content under a valid signature.
func signRaw(t *testing.T, root interface {
	Sign([]byte, string) ([]byte, error)
}, b []byte) []byte {
	t.Helper()
	sig, err := root.Sign(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestVerifyRejects(t *testing.T) {
	root := newKey(t)
	other := newKey(t)
	good := goodManifest(t)
	mj, sig, err := Sign(good, root, testNow)
	if err != nil {
		t.Fatal(err)
	}
	rec := good.Recipients[0]
	partner := good.Partners[0].Key
	raw := func(s string) []byte { return []byte(s) }
	body := func(fields string) []byte {
		return raw(fmt.Sprintf(`{"format":"refuge-manifest-v1","version":3,"expires":%q,"recipients":[%q],"partners":[{"name":"fld","key":%q}]%s}`, day(30), rec, partner, fields))
	}

	tampered := bytes.Replace(mj, []byte(`"version": 3`), []byte(`"version": 4`), 1)
	if bytes.Equal(tampered, mj) {
		t.Fatal("test could not tamper with the manifest")
	}
	otherJSON, otherSig, _ := Sign(good, other, testNow)
	sigFlip := bytes.Clone(sig)
	sigFlip[len(sigFlip)-5] ^= 'A' ^ 'B'

	withRecipients := func(rs ...string) Manifest { m := goodManifest(t); m.Recipients = rs; return m }

	tests := []struct {
		desc string
		mj   []byte
		sig  []byte // nil: signRaw(root, mj)
		now  time.Time
		want error
	}{
		{desc: "forged with another key", mj: otherJSON, sig: otherSig, want: ErrWrongKey},
		{desc: "forged is also a bad signature", mj: otherJSON, sig: otherSig, want: ErrBadSignature},
		{desc: "tampered manifest bytes", mj: tampered, sig: sig, want: ErrBadSignature},
		{desc: "tampered signature", mj: mj, sig: sigFlip, want: ErrBadSignature},
		{desc: "garbage signature", mj: mj, sig: raw("nope"), want: ErrBadSignature},
		{desc: "empty signature", mj: mj, sig: []byte{}, want: ErrBadSignature},
		{desc: "huge manifest", mj: append(body(""), bytes.Repeat([]byte(" "), MaxSize)...), want: ErrTooLarge},
		{desc: "malformed JSON", mj: raw(`{"format":`), want: ErrMalformed},
		{desc: "not an object", mj: raw(`["refuge-manifest-v1"]`), want: ErrMalformed},
		{desc: "unknown field", mj: body(`,"extra":1`), want: ErrMalformed},
		{desc: "unknown partner field", mj: raw(strings.Replace(string(body("")), `"name":"fld"`, `"name":"fld","url":"x"`, 1)), want: ErrMalformed},
		{desc: "duplicate field", mj: body(`,"version":9`), want: ErrMalformed},
		{desc: "field name in other case", mj: raw(strings.Replace(string(body("")), `"version"`, `"Version"`, 1)), want: ErrMalformed},
		{desc: "trailing data", mj: append(body(""), raw(` {}`)...), want: ErrMalformed},
		{desc: "wrong format", mj: raw(strings.Replace(string(body("")), "refuge-manifest-v1", "refuge-manifest-v2", 1)), want: ErrMalformed},
		{desc: "version zero", mj: raw(strings.Replace(string(body("")), `"version":3`, `"version":0`, 1)), want: ErrMalformed},
		{desc: "version beyond 2^53-1", mj: raw(strings.Replace(string(body("")), `"version":3`, `"version":9007199254740992`, 1)), want: ErrMalformed},
		{desc: "negative version", mj: raw(strings.Replace(string(body("")), `"version":3`, `"version":-1`, 1)), want: ErrMalformed},
		{desc: "fractional version", mj: raw(strings.Replace(string(body("")), `"version":3`, `"version":3.5`, 1)), want: ErrMalformed},
		{desc: "bad date", mj: raw(strings.Replace(string(body("")), day(30), "30/12/2027", 1)), want: ErrMalformed},
		{desc: "impossible date", mj: raw(strings.Replace(string(body("")), day(30), "2027-02-30", 1)), want: ErrMalformed},
		{desc: "bad ack key", mj: body(`,"ack_key":"RWnope"`), want: ErrMalformed},
		{desc: "expired yesterday", mj: editedJSON(t, func(m *Manifest) { m.Expires = day(-1) }), want: ErrExpired},
		{desc: "expired at midnight after its day", mj: editedJSON(t, func(m *Manifest) { m.Expires = day(0) }),
			now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), want: ErrExpired},
		{desc: "classic X25519 recipient", mj: mustJSON(t, withRecipients(classicRecipient(t))), want: ErrNotPostQuantum},
		{desc: "classic among post-quantum", mj: mustJSON(t, withRecipients(pqRecipient(t), classicRecipient(t))), want: ErrNotPostQuantum},
		{desc: "empty recipients", mj: mustJSON(t, withRecipients()), want: ErrNoRecipients},
		{desc: "null recipients", mj: raw(strings.Replace(string(body("")), fmt.Sprintf("[%q]", rec), "null", 1)), want: ErrNoRecipients},
		{desc: "damaged pq recipient", mj: mustJSON(t, withRecipients(flipLast(rec))), want: ErrMalformed},
		{desc: "duplicate recipient", mj: mustJSON(t, withRecipients(rec, rec)), want: ErrMalformed},
		{desc: "duplicate partners", mj: mustJSON(t, func() Manifest {
			m := goodManifest(t)
			m.Partners = append(m.Partners, Partner{Name: "fld", Key: newKey(t).Public().String()})
			return m
		}()), want: ErrMalformed},
		{desc: "bad partner name", mj: mustJSON(t, func() Manifest { m := goodManifest(t); m.Partners[0].Name = "FLD"; return m }()), want: ErrMalformed},
		{desc: "long partner name", mj: mustJSON(t, func() Manifest { m := goodManifest(t); m.Partners[0].Name = strings.Repeat("a", 33); return m }()), want: ErrMalformed},
		{desc: "bad partner key", mj: mustJSON(t, func() Manifest { m := goodManifest(t); m.Partners[0].Key = rec; return m }()), want: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := tc.sig
			if s == nil {
				s = signRaw(t, root, tc.mj)
			}
			now := tc.now
			if now.IsZero() {
				now = testNow
			}
			seen := seenStore(t)
			m, err := Verify(tc.mj, s, root.Public(), now, seen)
			t.Log(err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
			if m != nil {
				t.Fatal("Verify returned a manifest with an error")
			}
			if h, _ := seen.Highest(root.Public()); h != 0 {
				t.Fatal("a rejected manifest changed the rollback state")
			}
		})
	}
}

func mustJSON(t testing.TB, m Manifest) []byte {
	t.Helper()
	m.Format = Format
	if m.Partners == nil {
		m.Partners = []Partner{}
	}
	b, err := jsonMarshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editedJSON returns the JSON of goodManifest after edit, unsigned.
func editedJSON(t *testing.T, edit func(*Manifest)) []byte {
	t.Helper()
	m := goodManifest(t)
	edit(&m)
	return mustJSON(t, m)
}

func TestValidThroughEndOfDay(t *testing.T) {
	root := newKey(t)
	m := goodManifest(t)
	m.Expires = day(0)
	mj, sig, err := Sign(m, root, testNow)
	if err != nil {
		t.Fatal(err)
	}
	lastInstant := time.Date(2026, 11, 30, 23, 59, 59, 999999999, time.UTC)
	if _, err := Verify(mj, sig, root.Public(), lastInstant, nil); err != nil {
		t.Fatalf("manifest expiring today refused at 23:59:59 UTC: %v", err)
	}
	// A time zone ahead of UTC where it is already tomorrow: still valid.
	tokyo := time.FixedZone("JST", 9*3600)
	if _, err := Verify(mj, sig, root.Public(), lastInstant.In(tokyo), nil); err != nil {
		t.Fatalf("expiry not judged in UTC: %v", err)
	}
}

func TestRollback(t *testing.T) {
	root := newKey(t)
	seen := seenStore(t)
	signV := func(v uint64) ([]byte, []byte) {
		m := goodManifest(t)
		m.Version = v
		mj, sig, err := Sign(m, root, testNow)
		if err != nil {
			t.Fatal(err)
		}
		return mj, sig
	}
	m5, s5 := signV(5)
	m4, s4 := signV(4)
	m6, s6 := signV(6)
	if _, err := Verify(m5, s5, root.Public(), testNow, seen); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(m4, s4, root.Public(), testNow, seen)
	var re *RollbackError
	if !errors.Is(err, ErrRollback) || !errors.As(err, &re) || re.Version != 4 || re.Highest != 5 {
		t.Fatalf("rolled-back manifest: error = %v, want RollbackError{4, 5}", err)
	}
	if _, err := Verify(m6, s6, root.Public(), testNow, seen); err != nil {
		t.Fatal(err)
	}
	// The state persists across processes (a fresh store on the same dir).
	again, err := OpenSeenStore(seen.dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(m5, s5, root.Public(), testNow, again); !errors.Is(err, ErrRollback) {
		t.Fatalf("rollback after reopening the state: error = %v", err)
	}
	// Another root key has its own history.
	other := newKey(t)
	mo := goodManifest(t)
	mo.Version = 1
	oj, os_, _ := Sign(mo, other, testNow)
	if _, err := Verify(oj, os_, other.Public(), testNow, again); err != nil {
		t.Fatalf("version 1 under another root key: %v", err)
	}
}

func TestSignRefuses(t *testing.T) {
	root := newKey(t)
	tests := []struct {
		desc string
		edit func(*Manifest)
		want error
	}{
		{"expired", func(m *Manifest) { m.Expires = day(-1) }, ErrExpired},
		{"classic recipient", func(m *Manifest) { m.Recipients = []string{classicRecipient(t)} }, ErrNotPostQuantum},
		{"no recipients", func(m *Manifest) { m.Recipients = nil }, ErrNoRecipients},
		{"version zero", func(m *Manifest) { m.Version = 0 }, ErrMalformed},
		{"bad partner name", func(m *Manifest) { m.Partners[0].Name = "a b" }, ErrMalformed},
		{"other format", func(m *Manifest) { m.Format = "x" }, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			m := goodManifest(t)
			tc.edit(&m)
			if _, _, err := Sign(m, root, testNow); !errors.Is(err, tc.want) {
				t.Fatalf("Sign error = %v, want %v", err, tc.want)
			}
		})
	}
	// No partners and no ack key is fine.
	m := goodManifest(t)
	m.Partners, m.AckKey = nil, ""
	mj, sig, err := Sign(m, root, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(mj, sig, root.Public(), testNow, nil); err != nil {
		t.Fatal(err)
	}
}

// flipLast changes the last character of a bech32 string to a different
// bech32 character, so the checksum is always wrong. (Putting a fixed letter
// there left the string unchanged whenever it already ended in that letter.)
func flipLast(s string) string {
	last := "q"
	if strings.HasSuffix(s, "q") {
		last = "p"
	}
	return s[:len(s)-1] + last
}

// TestValidPartnerName pins the rule Parse holds partner names to, which
// the server checks a partner token's name by.
func TestValidPartnerName(t *testing.T) {
	for _, name := range []string{"fld", "a", "front-line-2", strings.Repeat("a", 32), "-"} {
		if !ValidPartnerName(name) {
			t.Errorf("%q refused", name)
		}
	}
	for _, name := range []string{"", "FLD", "Fld", "a b", "fld ", "fld_2", "fld.org", strings.Repeat("a", 33), "fl\u00e9", "fld\x00", "\u202efld"} {
		if ValidPartnerName(name) {
			t.Errorf("%q accepted", name)
		}
	}
}
