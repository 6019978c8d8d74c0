package receipt

import (
	_ "embed"
	"strings"
	"sync"
)

// englishText is the BIP39 English wordlist; see english.LICENSE.md for its
// origin, licence and digest.
//
//go:embed english.txt
var englishText string

const (
	wordCount     = 2048 // words in the BIP39 list
	maxWordLen    = 8    // longest BIP39 English word
	uniquePrefix  = 4    // BIP39 English words are unique in their first 4 letters
	bitsPerWord   = 11
	phraseWords   = 12
	entropyBytes  = 16 // 128 bits
	checksumBits  = 4  // entropyBytes*8/32
	maxPhraseSize = 1024
)

// wordlist returns the 2048 words in list (alphabetical) order. It is
// computed once and never changes afterwards.
var wordlist = sync.OnceValue(func() []string {
	words := strings.Split(strings.TrimSuffix(englishText, "\n"), "\n")
	if len(words) != wordCount {
		panic("receipt: embedded wordlist does not have 2048 words")
	}
	return words
})

// lookup returns the index of the word that w names: w itself, or — if w has
// at least four letters — the one word that starts with w. It reports false
// if no word matches. w must already be lowercase.
func lookup(w []byte) (int, bool) {
	words := wordlist()
	// Binary search for the first word >= w; the list is sorted.
	lo, hi := 0, len(words)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if words[mid] < string(w) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(words) {
		return 0, false
	}
	cand := words[lo]
	if cand == string(w) {
		return lo, true
	}
	if len(w) >= uniquePrefix && strings.HasPrefix(cand, string(w)) {
		return lo, true
	}
	return 0, false
}
