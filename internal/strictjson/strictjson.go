// Package strictjson refuses the JSON that encoding/json reads loosely: a
// field named twice in one object (the decoder keeps the last), a field
// name that differs from the expected one only in letter case (the decoder
// takes it), and null where an object is expected (the decoder reads it
// into a struct as nothing, as if an empty object had come). Either way the same bytes could be read one way by Refuge and
// another way by another tool, or by a check made before the decoding.
//
// It does not decode: callers check the field names first, then decode as
// before (DisallowUnknownFields, nothing after the value), and that decoder
// reports malformed JSON.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// errNotObject is CheckFieldNames' error for a value that is not an object.
var errNotObject = errors.New("the JSON value is not an object")

// A NameError is CheckFieldNames' error for a field named twice (Twice) or
// not exactly as one of the names. Its message names the field only when
// it is one of the names; Name holds it as the input gave it, for a caller
// whose input is the user's own to name it there.
type NameError struct {
	Name  string
	Twice bool
}

func (e *NameError) Error() string {
	if e.Twice {
		return fmt.Sprintf("field %s appears twice", e.Name)
	}
	return "a field name is unknown or in another letter case"
}

// CheckFieldNames returns an error if data holds a value that is not an
// object (null, which encoding/json reads into a struct as nothing, an
// array, a string, a number), or if an object in
// data, at any depth, names a field twice or names a field that is not
// exactly one of names. Which names belong to which object it leaves to the
// decoder. Malformed JSON is no error here: the decoder reports it. The
// errors never repeat the input, only a name from names; the error about a
// field name is a *NameError.
func CheckFieldNames(data []byte, names ...string) error {
	allowed := make(map[string]bool, len(names))
	for _, n := range names {
		allowed[n] = true
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	// One entry per open object or array: the keys seen so far in an
	// object, nil for an array.
	var open []map[string]bool
	wantKey := false
	for first := true; ; first = false {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // malformed JSON: the decoder says so
		}
		if first && tok != json.Delim('{') {
			// The decoder reads null into a struct as nothing at all,
			// as if an empty object had come.
			return errNotObject
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				open = append(open, map[string]bool{})
				wantKey = true
				continue
			case '[':
				open = append(open, nil)
			case '}', ']':
				open = open[:len(open)-1]
			}
		case string:
			if wantKey {
				if !allowed[v] {
					return &NameError{Name: v}
				}
				seen := open[len(open)-1]
				if seen[v] {
					return &NameError{Name: v, Twice: true}
				}
				seen[v] = true
				wantKey = false
				continue
			}
		}
		// After a value (or a closing delimiter), the next token in an
		// object is a key.
		wantKey = len(open) > 0 && open[len(open)-1] != nil
	}
}
