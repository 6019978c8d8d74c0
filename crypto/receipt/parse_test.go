package receipt

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Published BIP39 test vectors (entropy → mnemonic), independent of our
// own testdata.
var bip39Vectors = []struct{ entropy, phrase string }{
	{"00000000000000000000000000000000", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"},
	{"7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f", "legal winner thank year wave sausage worth useful legal winner thank yellow"},
	{"80808080808080808080808080808080", "letter advice cage absurd amount doctor acoustic avoid letter advice cage above"},
	{"ffffffffffffffffffffffffffffffff", "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"},
	{"9e885d952ad362caeb4efe34a8e91bd2", "ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic"},
	{"c0ba5a8e914111210f2bd131f3d5e08d", "scheme spot photo card baby mountain device kick cradle pact join borrow"},
}

func TestBIP39Vectors(t *testing.T) {
	for _, v := range bip39Vectors {
		t.Run(v.entropy, func(t *testing.T) {
			p, err := Parse([]byte(v.phrase))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ent, err := p.open()
			if err != nil {
				t.Fatal(err)
			}
			defer ent.Destroy()
			if got := hex.EncodeToString(ent.Bytes()); got != v.entropy {
				t.Errorf("entropy = %s, want %s", got, v.entropy)
			}
			text, err := p.Text()
			if err != nil {
				t.Fatal(err)
			}
			defer text.Destroy()
			if string(text.Bytes()) != v.phrase {
				t.Errorf("Text() does not round-trip")
			}
		})
	}
}

func TestParse(t *testing.T) {
	const ozone = "ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic"
	tests := []struct {
		desc    string
		in      string
		wantErr error // nil: must parse to the ozone phrase
		wordPos int   // for *WordError
	}{
		{desc: "canonical", in: ozone},
		{desc: "upper case", in: strings.ToUpper(ozone)},
		{desc: "mixed case and extra whitespace", in: "  Ozone\tDRILL  grab\n\nfiber curtain grace pudding thank cruise elder eight picnic \r\n"},
		{desc: "non-breaking and ideographic spaces", in: "ozone\u00a0drill\u3000grab fiber curtain grace pudding thank cruise elder eight picnic"},
		{desc: "four-letter prefixes", in: "ozon dril grab fibe curt grac pudd than crui elde eigh picn"},
		{desc: "longer prefixes", in: "ozon drill grab fiber curta grace puddi thank cruis elder eight picni"},
		{desc: "empty", in: "", wantErr: ErrWordCount},
		{desc: "eleven words", in: "ozone drill grab fiber curtain grace pudding thank cruise elder eight", wantErr: ErrWordCount},
		{desc: "thirteen words", in: ozone + " picnic", wantErr: ErrWordCount},
		{desc: "unknown word", in: "ozone drill grab fiber curtain qqqq pudding thank cruise elder eight picnic", wantErr: &WordError{}, wordPos: 6},
		{desc: "three-letter prefix", in: "ozo drill grab fiber curtain grace pudding thank cruise elder eight picnic", wantErr: &WordError{}, wordPos: 1},
		{desc: "too long word", in: "ozone drill grab fiber curtain grace pudding thank cruise elder eight picnicpicnic", wantErr: &WordError{}, wordPos: 12},
		{desc: "non-ASCII letter", in: "ozone drill grab fiber curtain grace pudding thank cruise elder eight pícnic", wantErr: &WordError{}, wordPos: 12},
		{desc: "digit", in: "ozone drill grab fiber curtain grace pudding thank cruise elder eight picn1c", wantErr: &WordError{}, wordPos: 12},
		{desc: "first bad word is reported", in: "ozone xxxx grab fiber curtain grace pudding thank cruise elder yyyy picnic", wantErr: &WordError{}, wordPos: 2},
		{desc: "swapped words", in: "drill ozone grab fiber curtain grace pudding thank cruise elder eight picnic", wantErr: ErrChecksum},
		{desc: "wrong valid word", in: "ozone drill grab fiber curtain grace pudding thank cruise elder eight zoo", wantErr: ErrChecksum},
		{desc: "huge input", in: strings.Repeat("a", maxPhraseSize+1), wantErr: ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			p, err := Parse([]byte(tc.in))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				text, err := p.Text()
				if err != nil {
					t.Fatal(err)
				}
				defer text.Destroy()
				if string(text.Bytes()) != ozone {
					t.Errorf("parsed to a different phrase")
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded, want error %v", tc.wantErr)
			}
			var we *WordError
			if _, want := tc.wantErr.(*WordError); want {
				if !errors.As(err, &we) {
					t.Fatalf("error %v is not a *WordError", err)
				}
				if we.Position != tc.wordPos {
					t.Errorf("word position = %d, want %d", we.Position, tc.wordPos)
				}
			} else if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			assertNoLeak(t, err, tc.in)
		})
	}
}

// assertNoLeak fails unless an error message is made only of our own fixed
// vocabulary and numbers, so it cannot contain any part of the input.
func assertNoLeak(t *testing.T, err error, input string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, w := range strings.Fields(errorVocabulary) {
		allowed[w] = true
	}
	tokens := strings.FieldsFunc(err.Error(), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	for _, tok := range tokens {
		if allowed[tok] || strings.Trim(tok, "0123456789") == "" {
			continue
		}
		t.Errorf("error %q contains %q, which is not in our fixed vocabulary (input %q)", err, tok, input)
	}
}

// errorVocabulary is every word our Parse errors use.
const errorVocabulary = "receipt phrase word is not in the wordlist checksum does match a wrong or words are out of order must have exactly found too long"
