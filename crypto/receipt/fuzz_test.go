package receipt

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzParse checks that Parse never panics, that what it accepts round-trips
// through Text and is made of the phrase's words (or their prefixes) in
// order, with nothing but separators and numbers around them, and that its
// errors never echo the input.
func FuzzParse(f *testing.F) {
	for _, v := range bip39Vectors {
		f.Add([]byte(v.phrase))
		f.Add([]byte(strings.ToUpper(v.phrase)))
	}
	f.Add([]byte("ozon dril grab fibe curt grac pudd than crui elde eigh picn"))
	f.Add([]byte("drill ozone grab fiber curtain grace pudding thank cruise elder eight picnic"))
	f.Add([]byte("1. ozone, 2. drill, 3. grab, 4. fiber, 5. curtain, 6. grace, 7. pudding, 8. thank, 9. cruise, 10. elder, 11. eight, 12. picnic."))
	f.Add([]byte("1)ozon 2)dril 3)grab 4)fibe 5)curt 6)grac 7)pudd 8)than 9)crui 10)elde 11)eigh 12)picn"))
	f.Add([]byte("1. ozone 3. grab"))
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
		words := strings.Fields(string(text.Bytes()))
		var typed []string
		for _, tok := range strings.FieldsFunc(strings.ToLower(string(in)), func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsPunct(r)
		}) {
			if strings.Trim(tok, "0123456789") != "" {
				typed = append(typed, tok)
			}
		}
		if len(typed) != len(words) {
			t.Fatalf("accepted %d words as a phrase of %d", len(typed), len(words))
		}
		for i, w := range typed {
			if w != words[i] && (len(w) < uniquePrefix || !strings.HasPrefix(words[i], w)) {
				t.Fatalf("word %d accepted as another word", i+1)
			}
		}
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
