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

		// Punctuation and numbering, as people write phrases down.
		{desc: "commas and a full stop", in: "ozone, drill, grab, fiber, curtain, grace, pudding, thank, cruise, elder, eight, picnic."},
		{desc: "commas without spaces", in: "ozone,drill,grab,fiber,curtain,grace,pudding,thank,cruise,elder,eight,picnic"},
		{desc: "hyphens", in: "ozone-drill-grab-fiber curtain-grace-pudding-thank cruise-elder-eight-picnic"},
		{desc: "numbered with full stops", in: "1. ozone 2. drill 3. grab 4. fiber 5. curtain 6. grace 7. pudding 8. thank 9. cruise 10. elder 11. eight 12. picnic"},
		{desc: "numbered, commas", in: "1. ozone, 2. drill, 3. grab, 4. fiber, 5. curtain, 6. grace, 7. pudding, 8. thank, 9. cruise, 10. elder, 11. eight, 12. picnic"},
		{desc: "numbered with brackets, no spaces", in: "1)ozone 2)drill 3)grab 4)fiber 5)curtain 6)grace 7)pudding 8)thank 9)cruise 10)elder 11)eight 12)picnic"},
		{desc: "numbered without punctuation", in: "1 ozone 2 drill 3 grab 4 fiber 5 curtain 6 grace 7 pudding 8 thank 9 cruise 10 elder 11 eight 12 picnic"},
		{desc: "numbered, prefixes", in: "(1) ozon (2) dril (3) grab (4) fibe (5) curt (6) grac (7) pudd (8) than (9) crui (10) elde (11) eigh (12) picn"},
		{desc: "numbered, swapped words", in: "1. drill 2. ozone 3. grab 4. fiber 5. curtain 6. grace 7. pudding 8. thank 9. cruise 10. elder 11. eight 12. picnic", wantErr: ErrChecksum},
		{desc: "commas, wrong valid word", in: "ozone, drill, grab, fiber, curtain, grace, pudding, thank, cruise, elder, eight, zoo", wantErr: ErrChecksum},
		{desc: "numbered, a word left out", in: "1. ozone 3. grab 4. fiber 5. curtain 6. grace 7. pudding 8. thank 9. cruise 10. elder 11. eight 12. picnic", wantErr: &NumberError{}, wordPos: 2},
		{desc: "numbered out of order", in: "2. drill 1. ozone 3. grab 4. fiber 5. curtain 6. grace 7. pudding 8. thank 9. cruise 10. elder 11. eight 12. picnic", wantErr: &NumberError{}, wordPos: 1},
		{desc: "two numbers in a row", in: "1. 2. ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic", wantErr: &NumberError{}, wordPos: 1},
		{desc: "number after the last word", in: ozone + " 13", wantErr: &NumberError{}, wordPos: 13},
		{desc: "stray number", in: "ozone drill 7 grab fiber curtain grace pudding thank cruise elder eight picnic", wantErr: &NumberError{}, wordPos: 3},
		{desc: "word and number run together", in: "1ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic", wantErr: &WordError{}, wordPos: 1},
		{desc: "numbered, unknown word", in: "1. ozone 2. drill 3. grub 4. fiber 5. curtain 6. grace 7. pudding 8. thank 9. cruise 10. elder 11. eight 12. picnic", wantErr: &WordError{}, wordPos: 3},
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
			var ne *NumberError
			switch tc.wantErr.(type) {
			case *WordError:
				if !errors.As(err, &we) {
					t.Fatalf("error %v is not a *WordError", err)
				}
				if we.Position != tc.wordPos {
					t.Errorf("word position = %d, want %d", we.Position, tc.wordPos)
				}
			case *NumberError:
				if !errors.As(err, &ne) {
					t.Fatalf("error %v is not a *NumberError", err)
				}
				if ne.Position != tc.wordPos {
					t.Errorf("word position = %d, want %d", ne.Position, tc.wordPos)
				}
			default:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
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
const errorVocabulary = "receipt phrase word is not in the wordlist checksum does match a wrong or words are out of order must have exactly found too long numbering at numbers run to one before each"

func TestCountError(t *testing.T) {
	_, err := Parse([]byte("ozone drill grab"))
	var ce *CountError
	if !errors.As(err, &ce) || ce.Found != 3 || !errors.Is(err, ErrWordCount) {
		t.Fatalf("Parse of 3 words: %v", err)
	}
	// Numbers that number the words are not counted.
	_, err = Parse([]byte("1. ozone 2. drill 3. grab"))
	if !errors.As(err, &ce) || ce.Found != 3 {
		t.Fatalf("Parse of 3 numbered words: %v", err)
	}
}
