package receipt

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

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

func (e *WordError) Error() string {
	return fmt.Sprintf("receipt phrase word %d is not in the wordlist", e.Position)
}

// Parse reads a receipt phrase typed by a person. Letters may be in any case,
// words may be separated by any run of spaces, tabs or newlines, and each word
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
	var word [maxWordLen + 1]byte // one extra byte to detect over-long words
	defer clear(word[:])

	n, wlen, tooLong := 0, 0, false
	finish := func() error {
		if wlen == 0 {
			return nil
		}
		n++
		defer func() { wlen, tooLong = 0, false; clear(word[:]) }()
		if n > phraseWords {
			return nil // counted, reported below
		}
		i, ok := -1, false
		if !tooLong {
			i, ok = lookup(word[:wlen])
		}
		if !ok {
			return &WordError{Position: n}
		}
		idx[n-1] = i
		return nil
	}
	var firstErr error
	for _, c := range s {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			if err := finish(); err != nil && firstErr == nil {
				firstErr = err
			}
		default:
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c < 'a' || c > 'z' {
				tooLong = true // not a wordlist letter: the word cannot match
			}
			if wlen < len(word) {
				word[wlen] = c
				wlen++
			} else {
				tooLong = true
			}
			if wlen > maxWordLen {
				tooLong = true
			}
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
			bit := byte(v>>(bitsPerWord-1-k)) & 1
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
