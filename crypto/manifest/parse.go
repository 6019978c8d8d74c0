package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"refuge/crypto/signing"
)

const (
	// maxPartnerName is the longest partner name.
	maxPartnerName = 32
	// maxVersion keeps versions exact in every JSON implementation
	// (JavaScript numbers are float64).
	maxVersion = 1<<53 - 1
)

var (
	topKeys     = map[string]bool{"format": true, "version": true, "expires": true, "recipients": true, "partners": true, "ack_key": true}
	partnerKeys = map[string]bool{"name": true, "key": true}
)

// Parse decodes manifest.json strictly and checks its content: everything
// [Verify] checks except the signature, the expiry date and the version
// history. Errors wrap [ErrTooLarge], [ErrMalformed], [ErrNoRecipients] or
// [ErrNotPostQuantum].
func Parse(b []byte) (*Manifest, error) {
	if len(b) > MaxSize {
		return nil, ErrTooLarge
	}
	if err := checkKeys(b); err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, malformed("%s", jsonProblem(err))
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + te.Field + " has the wrong type"
	}
	return "invalid JSON"
}

// validate checks every field of m.
func (m *Manifest) validate() error {
	if m.Format != Format {
		return malformed("format is not %s", Format)
	}
	if m.Version < 1 || m.Version > maxVersion {
		return malformed("version must be an integer from 1 to 2^53-1")
	}
	if _, err := m.ExpiresAt(); err != nil {
		return err
	}
	if len(m.Recipients) == 0 {
		return ErrNoRecipients
	}
	seen := map[string]bool{}
	for i, s := range m.Recipients {
		if _, err := parseRecipient(i, s); err != nil {
			return err
		}
		if seen[s] {
			return malformed("recipient %d is listed twice", i+1)
		}
		seen[s] = true
	}
	names := map[string]bool{}
	for i, p := range m.Partners {
		if !ValidPartnerName(p.Name) {
			return malformed("partner %d: name must be 1 to %d characters of a-z, 0-9 and -", i+1, maxPartnerName)
		}
		if names[p.Name] {
			return malformed("partner %q is listed twice", p.Name)
		}
		names[p.Name] = true
		if err := checkKey(p.Key); err != nil {
			return malformed("partner %q: key is not a minisign public key", p.Name)
		}
	}
	if m.AckKey != "" {
		if err := checkKey(m.AckKey); err != nil {
			return malformed("ack_key is not a minisign public key")
		}
	}
	return nil
}

// parseRecipient parses the i-th (0-based) recipient string.
func parseRecipient(i int, s string) (*age.HybridRecipient, error) {
	if !strings.HasPrefix(s, "age1pq1") {
		return nil, fmt.Errorf("%w: recipient %d", ErrNotPostQuantum, i+1)
	}
	r, err := age.ParseHybridRecipient(s)
	if err != nil || r.String() != s {
		return nil, malformed("recipient %d is not a valid age1pq1 recipient", i+1)
	}
	return r, nil
}

// checkKey checks that s is a minisign public key in its canonical form.
func checkKey(s string) error {
	k, err := signing.ParsePublicKey(s)
	if err != nil {
		return err
	}
	if k.String() != s {
		return errors.New("not canonical")
	}
	return nil
}

// ValidPartnerName reports whether s can name a partner in a manifest:
// 1 to 32 characters of a-z, 0-9 and -. (The server names a partner's
// token by a looser rule; a token named otherwise than the manifest names
// its partner is one the officers' report cannot match to a signature.)
func ValidPartnerName(s string) bool {
	if len(s) < 1 || len(s) > maxPartnerName {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// frame is one open JSON object or array during checkKeys.
type frame struct {
	object  bool
	allowed map[string]bool // object: the keys it may have (nil: none)
	seen    map[string]bool // object: keys seen so far
	wantKey bool            // object: the next token is a key
	key     string          // object: the key whose value is being read
	elem    map[string]bool // array: allowed keys of object elements (nil: none)
}

// checkKeys walks the JSON tokens of b and refuses what encoding/json would
// let through: duplicate keys, keys differing from a field name only by case,
// unknown keys, objects where none belong, a top level that is not an object,
// and data after the top-level value.
func checkKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var stack []*frame
	done := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !done {
				return malformed("invalid JSON")
			}
			return nil
		}
		if err != nil {
			return malformed("invalid JSON")
		}
		if done {
			return malformed("data after the JSON object")
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top == nil {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return malformed("not a JSON object")
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				f := &frame{object: true, wantKey: true, seen: map[string]bool{}}
				switch {
				case top == nil:
					f.allowed = topKeys
				case !top.object:
					f.allowed = top.elem
				}
				stack = append(stack, f)
			case '[':
				f := &frame{}
				if top != nil && top.object && len(stack) == 1 && top.key == "partners" {
					f.elem = partnerKeys
				}
				stack = append(stack, f)
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					done = true
				} else if p := stack[len(stack)-1]; p.object {
					p.wantKey = true
				}
			}
		default:
			if top.object && top.wantKey {
				k, _ := v.(string)
				if !top.allowed[k] {
					return malformed("unknown or misspelt field name")
				}
				if top.seen[k] {
					return malformed("field %s appears twice", k)
				}
				top.seen[k] = true
				top.key, top.wantKey = k, false
			} else if top.object {
				top.wantKey = true
			}
		}
	}
}
