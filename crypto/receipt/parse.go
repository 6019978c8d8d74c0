package receipt

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/awnumar/memguard"
)

// ErrChecksum means that every word is in the wordlist but the phrase's
// BIP39 checksum does not match: a word is mistyped as another valid word, or
// two words are swapped.
var ErrChecksum = errors.New("receipt phrase checksum does not match: a word is wrong or words are out of order")

// ErrWordCount means the phrase does not have exactly 12 words.
var ErrWordCount = errors.New("receipt phrase must have exactly 12 words")

// ErrTooLong means the input is far longer than any receipt phrase.
var ErrTooLong = errors.New("receipt phrase is too long")

// WordError reports a word that is not in the wordlist and is not the unique
// 4-letter (or longer) prefix of a word. It names only the word's position,
// never the word.
type WordError struct {
	Position int // 1-based position of the word in the phrase
}

// Error names the word position only.
func (e *WordError) Error() string {
	return fmt.Sprintf("receipt phrase word %d is not in the wordlist", e.Position)
}

// Parse reads a receipt phrase typed by a person. Letters may be in any case,
// words may be separated by any run of whitespace (ASCII or Unicode), and each word
// may be abbreviated to its first four (or more) letters. Parse checks the
// word count, each word and the BIP39 checksum; its errors are [ErrWordCount],
// [ErrTooLong], [ErrChecksum] or a [*WordError], and never contain the input.
//
// Parse does not modify or keep s; the caller may wipe it afterwards.
func Parse(s []byte) (*Phrase, error) {
	if len(s) > maxPhraseSize {
		return nil, ErrTooLong
	}
	var idx [phraseWords]int
	defer clear(idx[:])
	var word [maxWordLen + 1]byte // one extra byte: 9 letters match no word
	defer clear(word[:])

	n, wlen, invalid := 0, 0, false
	finish := func() error {
		if wlen == 0 {
			return nil
		}
		n++
		defer func() { wlen, invalid = 0, false; clear(word[:]) }()
		if n > phraseWords {
			return nil // counted, reported below
		}
		i, ok := -1, false
		if !invalid {
			i, ok = lookup(word[:wlen])
		}
		if !ok {
			return &WordError{Position: n}
		}
		idx[n-1] = i
		return nil
	}
	var firstErr error
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		i += size
		if unicode.IsSpace(r) { // ASCII and Unicode spaces (a pasted NBSP, …)
			if err := finish(); err != nil && firstErr == nil {
				firstErr = err
			}
			continue
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		if r < 'a' || r > 'z' {
			invalid = true // not a wordlist letter: the word cannot match
			r = '?'
		}
		if wlen < len(word) {
			word[wlen] = byte(r)
			wlen++
		} else {
			invalid = true
		}
	}
	if err := finish(); err != nil && firstErr == nil {
		firstErr = err
	}
	if n != phraseWords {
		return nil, fmt.Errorf("%w (found %d)", ErrWordCount, n)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return fromIndices(&idx)
}

// fromIndices turns 12 word indices into a Phrase, checking the checksum.
func fromIndices(idx *[phraseWords]int) (*Phrase, error) {
	ent := memguard.NewBuffer(entropyBytes)
	b := ent.Bytes()
	var check byte
	for w, v := range idx {
		for k := range bitsPerWord {
			pos := w*bitsPerWord + k
			bit := byte(v>>(bitsPerWord-1-k)) & 1 // #nosec G115 -- masked to one bit
			if pos < entropyBytes*8 {
				b[pos/8] |= bit << (7 - pos%8)
			} else {
				check = check<<1 | bit
			}
		}
	}
	sum := sha256.Sum256(b)
	defer clear(sum[:])
	if subtle.ConstantTimeByteEq(check, sum[0]>>(8-checksumBits)) != 1 {
		ent.Destroy()
		return nil, ErrChecksum
	}
	return &Phrase{entropy: ent.Seal()}, nil
}
