package receipt

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts round-trips
// through Text, and that its errors never echo the input.
func FuzzParse(f *testing.F) {
	for _, v := range bip39Vectors {
		f.Add([]byte(v.phrase))
		f.Add([]byte(strings.ToUpper(v.phrase)))
	}
	f.Add([]byte("ozon dril grab fibe curt grac pudd than crui elde eigh picn"))
	f.Add([]byte("drill ozone grab fiber curtain grace pudding thank cruise elder eight picnic"))
	f.Add([]byte("abandon"))
	f.Add([]byte(""))
	f.Add([]byte("\xff\xfe abandon"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Parse(in)
		if err != nil {
			if len(in) <= maxPhraseSize {
				assertNoLeak(t, err, string(in))
			}
			return
		}
		text, err := p.Text()
		if err != nil {
			t.Fatal(err)
		}
		defer text.Destroy()
		q, err := Parse(text.Bytes())
		if err != nil {
			t.Fatalf("canonical text of an accepted phrase does not parse: %v", err)
		}
		a, _ := p.open()
		b, _ := q.open()
		defer a.Destroy()
		defer b.Destroy()
		if string(a.Bytes()) != string(b.Bytes()) {
			t.Fatal("round trip changed the phrase")
		}
	})
}
