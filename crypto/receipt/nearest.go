package receipt

import (
	"strings"
	"unicode"
)

// nearest returns up to three list words close to w: those that start with
// w, if it has three letters or more (a prefix too short to be unique);
// failing that, those at the smallest edit distance (optimal string
// alignment: an insertion, deletion, substitution or swap of two
// neighbouring letters is one edit), if that is at most 1 for words of up
// to four letters and 2 for longer ones. It returns nil if no word is close.
func nearest(w string) []string {
	w = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, w)
	typed := []rune(w)
	if len(typed) == 0 || len(typed) > 2*maxWordLen {
		return nil
	}
	limit := 1
	if len(typed) > uniquePrefix {
		limit = 2
	}
	// A prefix too short to be unique names its words best.
	var best []string
	if len(typed) >= 3 {
		for _, cand := range wordlist() {
			if strings.HasPrefix(cand, w) && len(best) < 3 {
				best = append(best, cand)
			}
		}
		if best != nil {
			return best
		}
	}
	bestDist := limit
	for _, cand := range wordlist() {
		d := editDistance(typed, []rune(cand))
		switch {
		case d < bestDist || d == bestDist && best == nil:
			best, bestDist = []string{cand}, d
		case d == bestDist && len(best) < 3:
			best = append(best, cand)
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b.
func editDistance(a, b []rune) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
