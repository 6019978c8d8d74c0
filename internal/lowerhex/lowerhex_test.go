package lowerhex

import "testing"

func TestValid(t *testing.T) {
	tests := []struct {
		desc string
		s    string
		n    int
		want bool
	}{
		{"id", "0123456789abcdef0123456789abcdef", 32, true},
		{"digest", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64, true},
		{"empty for zero", "", 0, true},
		{"too short", "0123456789abcdef0123456789abcde", 32, false},
		{"too long", "0123456789abcdef0123456789abcdef0", 32, false},
		{"upper case", "0123456789ABCDEF0123456789abcdef", 32, false},
		{"g", "0123456789abcdeg0123456789abcdef", 32, false},
		{"space", "0123456789abcdef 123456789abcdef", 32, false},
		{"slash", "0123456789abcdef/123456789abcdef", 32, false},
		{"multi-byte rune of the right byte length", "0123456789abcdef0123456789abcdé", 32, false},
		{"NUL", "0123456789abcdef\x00123456789abcdef", 32, false},
	}
	for _, tc := range tests {
		if got := Valid(tc.s, tc.n); got != tc.want {
			t.Errorf("%s: Valid(%q, %d) = %v, want %v", tc.desc, tc.s, tc.n, got, tc.want)
		}
	}
	if !ID("ffffffffffffffffffffffffffffffff") || ID("fffffffffffffffffffffffffffffff") {
		t.Error("ID does not check 32 characters")
	}
}
