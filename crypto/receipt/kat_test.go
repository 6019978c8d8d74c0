package receipt

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// katVector is one known answer: a phrase (with the BIP39 entropy it
// encodes) and what Derive must compute from it at release cost.
type katVector struct {
	Entropy        string `json:"entropy"`
	Phrase         string `json:"phrase"`
	SubmissionID   string `json:"submission_id"`
	TokenVerifier  string `json:"token_verifier"`
	ReplyRecipient string `json:"reply_recipient"`
}

func loadKAT(t testing.TB) []katVector {
	t.Helper()
	b, err := os.ReadFile("testdata/kat.json")
	if err != nil {
		t.Fatal(err)
	}
	var v []katVector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v) == 0 {
		t.Fatal("testdata/kat.json has no vectors")
	}
	return v
}

// TestKnownAnswers derives every vector at the real (release) cost.
func TestKnownAnswers(t *testing.T) {
	for _, v := range loadKAT(t) {
		t.Run(v.Entropy, func(t *testing.T) {
			p, err := Parse([]byte(v.Phrase))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ent, err := p.open()
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(ent.Bytes()); got != v.Entropy {
				t.Errorf("entropy = %s, want %s", got, v.Entropy)
			}
			ent.Destroy()
			k, err := deriveWith(p, releaseCost)
			if err != nil {
				t.Fatal(err)
			}
			if k.SubmissionID() != v.SubmissionID {
				t.Errorf("submission id = %s, want %s", k.SubmissionID(), v.SubmissionID)
			}
			tok, err := k.Token()
			if err != nil {
				t.Fatal(err)
			}
			ver := Verifier(tok.Bytes())
			tok.Destroy()
			if got := hex.EncodeToString(ver[:]); got != v.TokenVerifier {
				t.Errorf("token verifier = %s, want %s", got, v.TokenVerifier)
			}
			if got := k.Recipient().String(); got != v.ReplyRecipient {
				t.Errorf("reply recipient = %s, want %s", got, v.ReplyRecipient)
			}
		})
	}
}
