package server

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"refuge/server/api"
	"refuge/server/store"

	"refuge/internal/lowerhex"
)

// Parsers of the tus headers. Every one of them reads untrusted input;
// they are fuzzed in tusheaders_fuzz_test.go.

// parseLength parses Upload-Length or Upload-Offset: decimal digits only
// (no sign, no spaces), at most 18 of them so it always fits an int64.
func parseLength(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("missing")
	}
	if len(s) > 18 {
		return 0, errors.New("too many digits")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a non-negative decimal integer")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("not a non-negative decimal integer")
	}
	return n, nil
}

// metadata is what we keep of Upload-Metadata: only the keys of package
// api. Values of other keys are decoded for validity and then dropped.
type metadata struct {
	kind         string
	submissionID string
	verifier     string
	creationKey  string
}

const maxMetadataLen = 4096

// parseMetadata parses Upload-Metadata: comma-separated pairs of a key
// and an optional base64 value separated by a space (tus 1.0 creation).
// Keys must be unique ASCII without spaces or commas; values must be
// valid standard base64. Unknown keys are dropped. Error messages never
// repeat a key or value, since they may hold a file name.
func parseMetadata(h string) (metadata, error) {
	var m metadata
	if h == "" {
		return m, nil
	}
	if len(h) > maxMetadataLen {
		return m, errors.New("Upload-Metadata is too long")
	}
	seen := map[string]bool{}
	for _, pair := range strings.Split(h, ",") {
		pair = strings.TrimSpace(pair)
		key, val, hasVal := strings.Cut(pair, " ")
		if key == "" {
			return m, errors.New("Upload-Metadata has an empty key")
		}
		for i := 0; i < len(key); i++ {
			if key[i] <= ' ' || key[i] > '~' || key[i] == ',' {
				return m, errors.New("Upload-Metadata has a key with a character tus does not allow")
			}
		}
		if seen[key] {
			return m, errors.New("Upload-Metadata has a repeated key")
		}
		seen[key] = true
		var v []byte
		if hasVal {
			var err error
			if v, err = decodeBase64(val); err != nil {
				return m, errors.New("Upload-Metadata has a value that is not base64")
			}
		}
		switch key {
		case api.MetaKind:
			m.kind = string(v)
		case api.MetaSubmissionID:
			m.submissionID = string(v)
		case api.MetaVerifier:
			m.verifier = string(v)
		case api.MetaCreationKey:
			m.creationKey = string(v)
		}
	}
	return m, nil
}

// parseChecksum parses Upload-Checksum: an algorithm name, a space, and
// the base64 digest (tus checksum extension): sha1, sha256 or crc32c (the
// CRC-32C as 4 big-endian bytes).
func parseChecksum(h string) (*store.Checksum, error) {
	alg, b64, ok := strings.Cut(h, " ")
	if !ok {
		return nil, errors.New("Upload-Checksum must be an algorithm and a base64 digest")
	}
	want := map[string]int{"sha1": 20, "sha256": 32, "crc32c": 4}[alg]
	if want == 0 {
		return nil, errors.New("Upload-Checksum algorithm is not supported (use sha1, sha256 or crc32c)")
	}
	d, err := decodeBase64(b64)
	if err != nil || len(d) != want {
		return nil, errors.New("Upload-Checksum digest is not valid base64 of the right length")
	}
	return &store.Checksum{Algorithm: alg, Digest: d}, nil
}

// decodeBase64 decodes padded standard base64 in its one canonical form.
// The standard decoder, even in strict mode, skips \r and \n anywhere in
// its input; a header value with either is refused, not read around.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("base64 with a line break")
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}

// parseVerifier parses 64 lowercase hex characters into a verifier.
func parseVerifier(s string) ([32]byte, bool) {
	var v [32]byte
	if !lowerhex.Valid(s, 64) {
		return v, false
	}
	_, err := hex.Decode(v[:], []byte(s))
	return v, err == nil
}
