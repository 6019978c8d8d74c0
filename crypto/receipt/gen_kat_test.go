package receipt

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/awnumar/memguard"
)

var genKAT = flag.Bool("gen-kat", false, "regenerate testdata/kat.json at release cost")

// TestGenerateKAT rewrites testdata/kat.json when run with -gen-kat. Without
// the flag it checks nothing and returns at once.
func TestGenerateKAT(t *testing.T) {
	if !*genKAT {
		return
	}
	var out []katVector
	for _, e := range []string{
		"00000000000000000000000000000000",
		"7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
		"80808080808080808080808080808080",
		"ffffffffffffffffffffffffffffffff",
		"9e885d952ad362caeb4efe34a8e91bd2",
		"c0ba5a8e914111210f2bd131f3d5e08d",
	} {
		ent, _ := hex.DecodeString(e)
		p := &Phrase{entropy: memguard.NewEnclave(ent)}
		text, err := p.Text()
		if err != nil {
			t.Fatal(err)
		}
		k, err := deriveWith(p, releaseCost)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := k.Token()
		v := Verifier(tok.Bytes())
		tok.Destroy()
		out = append(out, katVector{
			Entropy:        e,
			Phrase:         string(text.Bytes()), // copies; text.String() would alias the buffer
			SubmissionID:   k.SubmissionID(),
			TokenVerifier:  hex.EncodeToString(v[:]),
			ReplyRecipient: k.Recipient().String(),
		})
		text.Destroy()
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile("testdata/kat.json", append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
