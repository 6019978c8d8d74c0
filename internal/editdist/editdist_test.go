package editdist

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"submit", "submit", 0},
		{"sumbit", "submit", 1}, // a swap is one edit
		{"submt", "submit", 1}, {"submitt", "submit", 1}, {"sabmit", "submit", 1},
		{"stauts", "status", 1}, {"relay", "replies", 4}, {"ёжик", "ежик", 1},
	} {
		if got := Distance([]rune(tc.a), []rune(tc.b)); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance([]rune(tc.b), []rune(tc.a)); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}
