// Package lowerhex checks the one spelling Refuge accepts for identifiers
// and digests that cross a trust boundary: exactly n lowercase hexadecimal
// characters. Submission and upload ids are 32 of them (16 bytes), SHA-256
// digests and token verifiers 64. Upper case, odd lengths and any other
// byte are refused, so each value has one written form and can be compared
// as a string and used as a file name.
package lowerhex

// Valid reports whether s is exactly n characters of 0-9 and a-f.
func Valid(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ID reports whether s is a submission or upload id: 32 lowercase hex
// characters.
func ID(s string) bool { return Valid(s, 32) }
