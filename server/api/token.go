package api

import (
	"encoding/base64"
	"encoding/hex"
)

// DecodeToken returns the 32 bytes of a bearer token as it is written in
// an Authorization header: 64 hexadecimal characters (of either case), or
// 43 characters of unpadded base64url in its one canonical spelling (the
// two bits of the last character that hold no data are zero). It is the
// server's rule, and the client checks a token by it before sending it, so
// a token the server would refuse never makes a round trip.
func DecodeToken(tok string) ([]byte, bool) {
	switch len(tok) {
	case 64:
		if b, err := hex.DecodeString(tok); err == nil {
			return b, true
		}
	case 43:
		// The decoder skips \r and \n, so a token holding one decodes
		// to fewer bytes.
		if b, err := base64.RawURLEncoding.Strict().DecodeString(tok); err == nil && len(b) == 32 {
			return b, true
		}
	}
	return nil, false
}
