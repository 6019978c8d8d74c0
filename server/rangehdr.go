package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"refuge/server/api"
)

// byteRange is the part of a stored file a download sends.
type byteRange struct {
	start, length int64
	partial       bool // a Range was asked for: answer 206
}

// errRange is the one answer to any Range but a single satisfiable one.
var errRange = errors.New("not one byte range within the file")

// rangeError is the answer to a download whose Range parseRange refuses.
func rangeError(w http.ResponseWriter, size int64) {
	w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
	writeError(w, api.Errorf(api.CodeRange, "Range must be one byte range within the file: bytes=FIRST-, bytes=FIRST-LAST or bytes=-SUFFIX"))
}

// parseRange reads the Range headers of a download of a file of size
// bytes: none (the whole file), or exactly one header holding exactly one
// range, "bytes=FIRST-LAST", "bytes=FIRST-" or "bytes=-SUFFIX", in
// decimal digits (no sign, no spaces, at most 18 digits), that overlaps
// the file. A LAST past the end is cut to it, and a SUFFIX longer than the
// file is the whole file (RFC 9110, 14.1.2). Several ranges, another
// unit, anything malformed and a range that starts at or past the end
// are refused, whatever else the request says: the conditional headers
// (If-Range among them) are not read, since a stored file never changes.
func parseRange(values []string, size int64) (byteRange, error) {
	whole := byteRange{start: 0, length: size}
	switch len(values) {
	case 0:
		return whole, nil
	case 1:
	default:
		return byteRange{}, errRange
	}
	spec, ok := strings.CutPrefix(values[0], "bytes=")
	if !ok {
		return byteRange{}, errRange
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return byteRange{}, errRange
	}
	if first == "" {
		n, err := parseLength(last)
		if err != nil || n == 0 || size == 0 {
			return byteRange{}, errRange
		}
		n = min(n, size)
		return byteRange{start: size - n, length: n, partial: true}, nil
	}
	a, err := parseLength(first)
	if err != nil || a >= size {
		return byteRange{}, errRange
	}
	b := size - 1
	if last != "" {
		if b, err = parseLength(last); err != nil || b < a {
			return byteRange{}, errRange
		}
		b = min(b, size-1)
	}
	return byteRange{start: a, length: b - a + 1, partial: true}, nil
}
