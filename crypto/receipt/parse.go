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

// ErrWordCount means the phrase does not have exactly 12 words. Parse
// returns it as a [*CountError], which says how many words it found.
var ErrWordCount = errors.New("receipt phrase must have exactly 12 words")

// ErrTooLong means the input is far longer than any receipt phrase.
var ErrTooLong = errors.New("receipt phrase is too long")

// CountError reports a phrase that does not have 12 words. It matches
// [ErrWordCount] with errors.Is.
type CountError struct {
	Found int // words found (numbers that number the words are not counted)
}

// Error says how many words were found.
func (e *CountError) Error() string {
	return fmt.Sprintf("%v (found %d)", ErrWordCount, e.Found)
}

// Is reports whether target is [ErrWordCount].
func (e *CountError) Is(target error) bool { return target == ErrWordCount }

// NumberError reports numbered words whose numbers do not run 1, 2, … 12,
// one before each word: most often a word was left out or written twice.
type NumberError struct {
	Position int // 1-based position of the word whose number is wrong
}

// Error names the word position only.
func (e *NumberError) Error() string {
	return fmt.Sprintf("receipt phrase numbering is wrong at word %d: numbers must run 1 to 12, one before each word", e.Position)
}

// WordError reports a word that is not in the wordlist and is not the unique
// 4-letter (or longer) prefix of a word. It names only the word's position,
// never the word: the phrase is read without echo, so that no one looking at
// the screen sees any of it, and an error must not show part of it either.
type WordError struct {
	Position int // 1-based position of the word in the phrase
}

// Error names the word position only.
func (e *WordError) Error() string {
	return fmt.Sprintf("receipt phrase word %d is not in the wordlist", e.Position)
}

// Parse reads a receipt phrase typed by a person. Letters may be in any case,
// and each word may be abbreviated to its first four (or more) letters.
// Words may be separated by any run of whitespace (ASCII or Unicode) and
// punctuation (commas, full stops, hyphens, brackets), and may be numbered
// as people write them down ("1. ozone, 2. drill" or "1) ozone 2) drill"):
// a number is accepted only where it is the position of the word after it,
// and is otherwise a [*NumberError]. Only the 12 words make the phrase, and
// the BIP39 checksum is checked as always, so none of this can turn a wrong
// phrase into an accepted one. Parse's errors are a [*CountError]
// ([ErrWordCount]), [ErrTooLong], [ErrChecksum], a [*NumberError] or a
// [*WordError]; their messages never contain the input.
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

	// The token being read: from s[start], wlen letters kept in word; digits
	// while it is made of ASCII digits only (num is their value, capped).
	n, start, wlen, invalid, digits, num := 0, -1, 0, false, true, 0
	numbered := false // a number was read; the next word must be number n+1
	var firstErr, numErr error
	finish := func() {
		if start < 0 {
			return
		}
		defer func() { start, wlen, invalid, digits, num = -1, 0, false, true, 0; clear(word[:]) }()
		if digits {
			if (numbered || num != n+1) && numErr == nil {
				numErr = &NumberError{Position: n + 1}
			}
			numbered = true
			return
		}
		n++
		numbered = false
		if n > phraseWords {
			return // counted, reported below
		}
		i, ok := -1, false
		if !invalid {
			i, ok = lookup(word[:wlen])
		}
		if !ok {
			if firstErr == nil {
				firstErr = &WordError{Position: n}
			}
			return
		}
		idx[n-1] = i
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		if unicode.IsSpace(r) || unicode.IsPunct(r) { // a pasted NBSP, "1.", "word,"
			finish()
			i += size
			continue
		}
		if start < 0 {
			start = i
		}
		i += size
		if '0' <= r && r <= '9' {
			num = min(num*10+int(r-'0'), 1000)
		} else {
			digits = false
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
	finish()
	if numbered && numErr == nil {
		numErr = &NumberError{Position: n + 1} // a number after the last word
	}
	if numErr != nil {
		return nil, numErr
	}
	if n != phraseWords {
		return nil, &CountError{Found: n}
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
