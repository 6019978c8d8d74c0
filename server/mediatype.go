package server

import (
	"mime"
	"strings"

	"refuge/server/api"
)

// The two request media types the server reads, and how it reads their
// Content-Type: with mime.ParseMediaType, as RFC 9110 (8.3.1) writes it,
// so the type and subtype and a parameter's name match in any letter case
// and a parameter's value may be quoted.
//
// JSON bodies (acknowledgements, manifests) are application/json with no
// parameter or with charset=utf-8 (any case, quoted or not): what many
// HTTP libraries add by default (Java's, .NET's, Python requests' json=).
// JSON is UTF-8 (RFC 8259), so any other charset, or any other parameter,
// is refused, not guessed at.
//
// tus PATCH bodies are application/offset+octet-stream with no parameter:
// the tus 1.0 specification names that type and nothing else, no tus
// client adds one, and raw bytes at an offset have no charset to declare.
const (
	jsonCT     = "application/json"
	offsetCT   = "application/offset+octet-stream"
	jsonHint   = "Content-Type must be application/json (no parameter but charset utf-8)"
	offsetHint = "Content-Type must be application/offset+octet-stream (no parameter)"
)

// checkJSONType refuses (415) a request whose Content-Type is not
// application/json, bare or with charset=utf-8.
func checkJSONType(ct string) *api.Error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != jsonCT {
		return api.Errorf(api.CodeUnsupportedType, "%s", jsonHint)
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return api.Errorf(api.CodeUnsupportedType, "%s", jsonHint)
		}
	}
	return nil
}

// checkOffsetType refuses (415) a PATCH whose Content-Type is not
// application/offset+octet-stream without parameters.
func checkOffsetType(ct string) *api.Error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != offsetCT || len(params) != 0 {
		return api.Errorf(api.CodeUnsupportedType, "%s", offsetHint)
	}
	return nil
}
