package cli

import (
	"strconv"
	"strings"
)

// Plural returns "1 word" or "n words" ("n ...ies" for a word in y):
// "3 keys", "2 submissions", "0 replies".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") && !strings.HasSuffix(word, "ey") {
		return strconv.Itoa(n) + " " + word[:len(word)-1] + "ies"
	}
	return strconv.Itoa(n) + " " + word + "s"
}
