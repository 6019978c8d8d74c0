package receipt_test

import (
	"fmt"
	"strings"

	"refuge/crypto/receipt"
)

// A client makes a phrase at submission time, shows it once, and derives the
// submission id, access token and reply recipient from it. Later, from any
// device, the same phrase typed back gives the same values.
func Example() {
	p, err := receipt.Generate()
	if err != nil {
		panic(err)
	}
	text, err := p.Text() // show text.Bytes() to the person, then:
	if err != nil {
		panic(err)
	}
	words := len(strings.Fields(string(text.Bytes())))

	keys, err := receipt.Derive(p)
	if err != nil {
		panic(err)
	}
	token, err := keys.Token()
	if err != nil {
		panic(err)
	}
	verifier := receipt.Verifier(token.Bytes()) // what the server stores
	token.Destroy()

	// Typed back later (any case, extra spaces and 4-letter prefixes are fine):
	again, err := receipt.Parse(text.Bytes())
	text.Destroy()
	if err != nil {
		panic(err)
	}
	keys2, err := receipt.Derive(again)
	if err != nil {
		panic(err)
	}

	fmt.Println("words:", words)
	fmt.Println("id length:", len(keys.SubmissionID()))
	fmt.Println("verifier length:", len(verifier))
	fmt.Println("reply recipient is post-quantum:", strings.HasPrefix(keys.Recipient().String(), "age1pq1"))
	fmt.Println("same id again:", keys2.SubmissionID() == keys.SubmissionID())
	// Output:
	// words: 12
	// id length: 32
	// verifier length: 32
	// reply recipient is post-quantum: true
	// same id again: true
}
