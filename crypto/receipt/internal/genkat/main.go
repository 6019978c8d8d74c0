// Command genkat regenerates crypto/receipt/testdata/kat.json, the receipt
// known-answer vectors, through the public API at release cost (it is not a
// test binary, so the kdfcost knob cannot be lowered):
//
//	go run ./crypto/receipt/internal/genkat > crypto/receipt/testdata/kat.json
//
// The phrases are published BIP39 test vectors.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"refuge/crypto/receipt"
)

type vector struct {
	Entropy        string `json:"entropy"`
	Phrase         string `json:"phrase"`
	SubmissionID   string `json:"submission_id"`
	TokenVerifier  string `json:"token_verifier"`
	ReplyRecipient string `json:"reply_recipient"`
}

func main() {
	var out []vector
	for _, v := range []struct{ entropy, phrase string }{
		{"00000000000000000000000000000000", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"},
		{"9e885d952ad362caeb4efe34a8e91bd2", "ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic"},
	} {
		p, err := receipt.Parse([]byte(v.phrase))
		check(err)
		k, err := receipt.Derive(p)
		check(err)
		tok, err := k.Token()
		check(err)
		ver := receipt.Verifier(tok.Bytes())
		tok.Destroy()
		out = append(out, vector{
			Entropy:        v.entropy,
			Phrase:         v.phrase,
			SubmissionID:   k.SubmissionID(),
			TokenVerifier:  hex.EncodeToString(ver[:]),
			ReplyRecipient: k.Recipient().String(),
		})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	check(err)
	os.Stdout.Write(append(b, '\n'))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "genkat:", err)
		os.Exit(1)
	}
}
