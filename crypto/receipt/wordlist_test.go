package receipt

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

const englishSHA256 = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"

func TestWordlistDigest(t *testing.T) {
	sum := sha256.Sum256([]byte(englishText))
	if got := hex.EncodeToString(sum[:]); got != englishSHA256 {
		t.Fatalf("english.txt SHA-256 = %s, want the BIP39 value %s", got, englishSHA256)
	}
}

// TestWordlistShape checks what lookup relies on: 2048 sorted words of
// 3 to 8 lowercase letters, unique in their first four letters.
func TestWordlistShape(t *testing.T) {
	words := wordlist()
	if len(words) != wordCount {
		t.Fatalf("%d words, want %d", len(words), wordCount)
	}
	prefixes := map[string]bool{}
	for i, w := range words {
		if len(w) < 3 || len(w) > maxWordLen {
			t.Errorf("word %d has length %d", i, len(w))
		}
		for _, c := range []byte(w) {
			if c < 'a' || c > 'z' {
				t.Errorf("word %d has a non-letter", i)
			}
		}
		if i > 0 && words[i-1] >= w {
			t.Errorf("words %d and %d are out of order", i-1, i)
		}
		p := w[:min(len(w), uniquePrefix)]
		if prefixes[p] {
			t.Errorf("prefix %q is not unique", p)
		}
		prefixes[p] = true
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		want int // -1: no match
	}{
		{"first word", "abandon", 0},
		{"last word", "zoo", 2047},
		{"four-letter prefix", "aban", 0},
		{"longer prefix", "abando", 0},
		{"three-letter word", "act", 19},
		{"three-letter prefix is not enough", "aba", -1},
		{"extra letter", "abandons", -1},
		{"unknown word", "qqqq", -1},
		{"beyond last word", "zzzz", -1},
		{"empty", "", -1},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, ok := lookup([]byte(tc.in))
			if !ok {
				got = -1
			}
			if got != tc.want {
				t.Errorf("lookup(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}
