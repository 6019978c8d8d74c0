package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheckFieldNames(t *testing.T) {
	for _, tc := range []struct {
		desc, data string
		ok         bool
	}{
		{"exact names", `{"a":1,"b":[{"a":2},{"b":3}]}`, true},
		{"same name in two objects", `{"a":{"a":1,"b":2},"b":{"a":3}}`, true},
		{"names only as values", `{"a":"A","b":["a","a","B"]}`, true},
		{"empty object", `{}`, true},
		{"an array", `[1,"a","a"]`, false},
		{"null, read into a struct as nothing", `null`, false},
		{"null between spaces", " \n null \t", false},
		{"a string", `"a"`, false},
		{"a number", `1`, false},
		{"true", `true`, false},
		{"empty: the decoder says so", ``, true},
		{"malformed: the decoder says so", `{"a":`, true},
		{"twice", `{"a":1,"a":2}`, false},
		{"twice in a nested object", `{"b":[{"a":1},{"a":2,"a":3}]}`, false},
		{"another letter case", `{"A":1}`, false},
		{"another case after the exact one", `{"a":1,"A":2}`, false},
		{"Kelvin sign folds to k", "{\"\u212a\":1}", false},
		{"unknown", `{"zz":1}`, false},
		{"escaped spelling of a name, twice", `{"a":1,"\u0061":2}`, false},
	} {
		err := CheckFieldNames([]byte(tc.data), "a", "b", "k")
		if (err == nil) != tc.ok {
			t.Errorf("%s: %s: %v", tc.desc, tc.data, err)
		}
		if err != nil && (strings.ContainsAny(err.Error(), "AK\u212a") || strings.Contains(err.Error(), "zz")) {
			t.Errorf("%s: the error repeats the input: %v", tc.desc, err)
		}
	}
}

// TestNameError: a field name refused is a *NameError that holds the name
// as the input gave it (unescaped), for a caller that may show it, while
// its message still repeats only a name from names.
func TestNameError(t *testing.T) {
	for _, tc := range []struct {
		desc, data, name string
		twice            bool
	}{
		{"twice", `{"a":1,"b":2,"a":3}`, "a", true},
		{"twice, once escaped", `{"a":1,"\u0061":2}`, "a", true},
		{"twice in a nested object", `{"b":[{"a":1,"a":2}]}`, "a", true},
		{"another letter case", `{"a":1,"A":2}`, "A", false},
		{"unknown", `{"zz":1}`, "zz", false},
	} {
		var ne *NameError
		err := CheckFieldNames([]byte(tc.data), "a", "b")
		if !errors.As(err, &ne) || ne.Name != tc.name || ne.Twice != tc.twice {
			t.Errorf("%s: got %#v, want %q twice=%v", tc.desc, err, tc.name, tc.twice)
		}
	}
	if err := CheckFieldNames([]byte(`null`), "a"); errors.As(err, new(*NameError)) {
		t.Errorf("null: %v is a NameError", err)
	}
}

// FuzzCheckFieldNames: what passes the check and decodes into a struct
// reads the same as a case-sensitive, first-and-only reading of the same
// bytes, which is what any other tool sees.
func FuzzCheckFieldNames(f *testing.F) {
	for _, s := range []string{`{"a":"x","b":"y"}`, `{"a":"x","a":"y"}`, `{"A":"x"}`, `{"a":"x","A":"y"}`, "{\"\u212a\":\"x\"}", `{"b":"y"} {}`, `{}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if CheckFieldNames(data, "a", "k") != nil {
			return
		}
		var v struct {
			A string `json:"a"`
			K string `json:"k"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if dec.Decode(&v) != nil {
			return
		}
		var raw map[string]json.RawMessage
		if json.NewDecoder(bytes.NewReader(data)).Decode(&raw) != nil {
			t.Fatalf("%q decodes into the struct but not into a map", data)
		}
		for name, got := range map[string]string{"a": v.A, "k": v.K} {
			var want string
			if r, ok := raw[name]; ok {
				if err := json.Unmarshal(r, &want); err != nil {
					t.Fatalf("%q: field %s is not a string: %v", data, name, err)
				}
			}
			if got != want {
				t.Fatalf("%q: the struct reads %s as %q, the exact name holds %q", data, name, got, want)
			}
		}
	})
}
