package receipt

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestGenerateRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		p, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		text, err := p.Text()
		if err != nil {
			t.Fatal(err)
		}
		if n := len(strings.Fields(string(text.Bytes()))); n != phraseWords {
			t.Fatalf("generated %d words", n)
		}
		q, err := Parse(text.Bytes())
		if err != nil {
			t.Fatalf("Parse(Generate()) failed: %v", err)
		}
		a, _ := p.open()
		b, _ := q.open()
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatal("phrase does not round-trip")
		}
		seen[hex.EncodeToString(a.Bytes())] = true
		a.Destroy()
		b.Destroy()
		text.Destroy()
	}
	if len(seen) != 20 {
		t.Fatalf("20 generated phrases had only %d distinct values", len(seen))
	}
}

func TestPhraseStringRedacted(t *testing.T) {
	p, err := Parse([]byte(bip39Vectors[4].phrase))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(p), fmt.Sprintf("%v %s", p, p)} {
		if strings.Contains(s, "ozone") {
			t.Fatalf("formatting a Phrase revealed it: %q", s)
		}
	}
}

func TestDerive(t *testing.T) {
	p, err := Parse([]byte(bip39Vectors[4].phrase))
	if err != nil {
		t.Fatal(err)
	}
	k1, err := Derive(p)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := deriveWith(p, testCost)
	if err != nil {
		t.Fatal(err)
	}
	if k1.SubmissionID() != k2.SubmissionID() {
		t.Fatal("Derive did not use the lowered test cost after kdfcost.LowerForTests")
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(k1.SubmissionID()) {
		t.Errorf("submission id %q is not 32 lowercase hex characters", k1.SubmissionID())
	}
	if !strings.HasPrefix(k1.Recipient().String(), "age1pq1") {
		t.Errorf("reply recipient is not age1pq1")
	}
	tok, err := k1.Token()
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Destroy()
	if tok.Size() != TokenLen {
		t.Errorf("token has %d bytes", tok.Size())
	}
	if bytes.Contains(tok.Bytes(), []byte(k1.SubmissionID())) {
		t.Error("token and submission id are related")
	}

	// A different phrase gives different values.
	q, _ := Parse([]byte(bip39Vectors[5].phrase))
	k3, err := Derive(q)
	if err != nil {
		t.Fatal(err)
	}
	if k3.SubmissionID() == k1.SubmissionID() || k3.Recipient().String() == k1.Recipient().String() {
		t.Error("different phrases derived equal values")
	}

	// The reply identity decrypts what is encrypted to the reply recipient.
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, k1.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("reply"))
	w.Close()
	r, err := age.Decrypt(&buf, k1.Identity())
	if err != nil {
		t.Fatalf("reply identity cannot decrypt: %v", err)
	}
	var out bytes.Buffer
	out.ReadFrom(r)
	if out.String() != "reply" {
		t.Fatal("decrypted reply differs")
	}
}

func TestVerifier(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 test vector.
	v := Verifier([]byte("abc"))
	if got := hex.EncodeToString(v[:]); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Verifier = %s", got)
	}
}

func TestReleaseCost(t *testing.T) {
	if releaseCost.time != 3 || releaseCost.memory != 64*1024 || kdfThreads != 4 || kdfSalt != "refuge-receipt-v1" {
		t.Fatal("release Argon2id parameters differ from the specification")
	}
}
