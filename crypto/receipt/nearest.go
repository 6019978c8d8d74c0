package receipt

import (
	"strings"
	"unicode"

	"refuge/internal/editdist"
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
		d := editdist.Distance(typed, []rune(cand))
		switch {
		case d < bestDist || d == bestDist && best == nil:
			best, bestDist = []string{cand}, d
		case d == bestDist && len(best) < 3:
			best = append(best, cand)
		}
	}
	return best
}
