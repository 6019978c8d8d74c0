package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const goodForm = `{"defender_name":"A. Defender","nationality":"X","current_country":"Y","work":"land rights",
"risk":"threats","urgency":"high","family_members":[{"name":"B","relationship":"child","age":7}],
"consent":true,"safe_contact":"signal","referring_organisation":"fld"}`

func TestReferralCheck(t *testing.T) {
	tests := []struct {
		desc string
		form string
		ok   bool
	}{
		{"good", goodForm, true},
		{"unknown field", `{"defender_name":"A","extra":1}`, false},
		{"no consent", `{"defender_name":"A","nationality":"X","current_country":"Y","work":"w","risk":"r","urgency":"high","consent":false,"safe_contact":"s","referring_organisation":"o"}`, false},
		{"bad urgency", `{"defender_name":"A","nationality":"X","current_country":"Y","work":"w","risk":"r","urgency":"soon","consent":true,"safe_contact":"s","referring_organisation":"o"}`, false},
		{"missing name", `{"nationality":"X","current_country":"Y","work":"w","risk":"r","urgency":"high","consent":true,"safe_contact":"s","referring_organisation":"o"}`, false},
		{"trailing data", goodForm + `{}`, false},
		// As strictly as every other JSON input (strictjson): the
		// standard decoder kept the last of a field named twice and took
		// one in another letter case.
		{"consent twice", `{"consent":true,` + goodForm[1:], false},
		{"consent twice, once escaped", strings.Replace(goodForm, `"consent":true`, `"consent":true,"\u0063onsent":true`, 1), false},
		{"Consent", strings.Replace(goodForm, `"consent"`, `"Consent"`, 1), false},
		{"long s (U+017F), which encoding/json folds to s", strings.Replace(goodForm, `"safe_contact"`, `"\u017fafe_contact"`, 1), false},
		{"a family member's name twice", strings.Replace(goodForm, `{"name":"B"`, `{"name":"B","name":"C"`, 1), false},
		{"AGE", strings.Replace(goodForm, `"age"`, `"AGE"`, 1), false},
		{"null", `null`, false},
		{"a field name written with an escape", strings.Replace(goodForm, `"consent"`, `"\u0063onsent"`, 1), true},
		{"white space around", " \n" + goodForm + "\n ", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r, err := parseReferral([]byte(tt.form))
			if err == nil {
				err = r.check()
			}
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestReferralStrictMessages: a form refused by the strict reading says
// which field, in the form's own words. What refuge refer itself writes
// as referral.json, and so the form's field list, reads back as it was.
func TestReferralStrictMessages(t *testing.T) {
	for _, tc := range []struct{ form, want string }{
		{`{"consent":false,` + goodForm[1:], `the referral form is not valid: field "consent" appears twice`},
		{strings.Replace(goodForm, `"consent"`, `"Consent"`, 1), `the referral form is not valid: field "Consent" must be written "consent"`},
		{strings.Replace(goodForm, `"safe_contact"`, `"\u017fafe_contact"`, 1), `the referral form is not valid: field "ſafe_contact" must be written "safe_contact"`},
		{strings.Replace(goodForm, `"age"`, `"Age"`, 1), `the referral form is not valid: field "Age" must be written "age"`},
		{`{"defender_name":"A","passport_scan":"x"}`, `the referral form is not valid: unknown field "passport_scan"`},
		{`{"family_members":[{"name":"B","relationship":"child","consent":true}]}`, `the referral form is not valid: unknown field "consent"`},
		{`null`, `the referral form is not valid: it must be a JSON object, {…}`},
	} {
		if _, err := parseReferral([]byte(tc.form)); err == nil || err.Error() != tc.want {
			t.Errorf("%s:\ngot  %v\nwant %s", tc.form, err, tc.want)
		}
	}
	var names []string
	for _, rt := range []reflect.Type{reflect.TypeFor[referral](), reflect.TypeFor[family]()} {
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
	}
	if !slices.Equal(names, referralFields) {
		t.Errorf("the form's JSON names are %q, parseReferral takes %q", names, referralFields)
	}
	r, err := parseReferral([]byte(goodForm))
	if err != nil {
		t.Fatal(err)
	}
	r.Organisation = "an NGO"
	written, _ := json.MarshalIndent(r, "", "  ")
	again, err := parseReferral(written)
	if err != nil || !reflect.DeepEqual(again, r) {
		t.Fatalf("the form refer writes reads back as %+v (%v)", again, err)
	}
}

func FuzzParseReferral(f *testing.F) {
	f.Add([]byte(goodForm))
	f.Add([]byte(`{"format":"refuge-referral-v1","family_members":[{"age":-1}]}`))
	f.Add([]byte(`{"consent":"yes"}`))
	f.Add([]byte(`{"consent":false,` + goodForm[1:]))
	f.Add([]byte(strings.Replace(goodForm, `"consent"`, `"Consent"`, 1)))
	f.Add([]byte(strings.Replace(goodForm, `"consent"`, `"\u0063onsent"`, 1)))
	f.Add([]byte(strings.Replace(goodForm, `{"name":"B"`, `{"name":"B","name":"C"`, 1)))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseReferral(data)
		if err != nil {
			return
		}
		if r.check() == nil && (!r.Consent || r.DefenderName == "") {
			t.Fatal("accepted a referral without consent or defender")
		}
		namesOnce(t, json.NewDecoder(bytes.NewReader(data)))
	})
}

// namesOnce fails t unless the JSON value dec reads, a form parseReferral
// accepted, names each field of each object once, exactly as the form's
// fields are spelt: what any other tool reads of it is what refuge read.
func namesOnce(t *testing.T, dec *json.Decoder) {
	t.Helper()
	tok, err := dec.Token()
	if err != nil {
		t.Fatalf("an accepted form does not read: %v", err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			name, ok := tok.(string)
			if err != nil || !ok || seen[name] || !slices.Contains(referralFields, name) {
				t.Fatalf("accepted a form that names %q twice or not as the form's fields are spelt (%v)", tok, err)
			}
			seen[name] = true
			namesOnce(t, dec)
		}
		dec.Token() // }
	case json.Delim('['):
		for dec.More() {
			namesOnce(t, dec)
		}
		dec.Token() // ]
	}
}

// A form missing fields names them all at once, by the form's name and the
// flag that gives it, in the form's order; blank text is missing too. A
// form missing one says so of that one. The fields' values are never
// echoed.
func TestReferralMissingFields(t *testing.T) {
	for _, tc := range []struct {
		desc, form, want string
	}{
		{"all but the name", `{"defender_name":"A","consent":true}`,
			"7 fields are missing: nationality (--nationality), current_country (--country), work (--work), risk (--risk), urgency (--urgency), safe_contact (--contact), referring_organisation (--referring-org)"},
		{"blank ones", `{"defender_name":" \t","nationality":"\u00a0X","current_country":"Y","work":"w","risk":"\n","urgency":"high","consent":true,"safe_contact":"s","referring_organisation":"o"}`,
			"2 fields are missing: defender_name (--defender), risk (--risk)"},
		{"one", `{"defender_name":"A","nationality":"X","current_country":"Y","work":"w","risk":"r","urgency":"high","consent":true,"safe_contact":"s"}`,
			"referring_organisation (--referring-org) is missing"},
		{"an empty object", `{}`,
			"8 fields are missing: defender_name (--defender), nationality (--nationality), current_country (--country), work (--work), risk (--risk), urgency (--urgency), safe_contact (--contact), referring_organisation (--referring-org)"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			r, err := parseReferral([]byte(tc.form))
			if err != nil {
				t.Fatal(err)
			}
			err = r.check()
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
	// A value too long is named, not repeated; it is checked once nothing
	// is missing.
	r, err := parseReferral([]byte(strings.Replace(goodForm, `"signal"`, `"`+strings.Repeat(`\u001b[2J`, 1100)+`"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.check(); err == nil || err.Error() != "safe_contact is not UTF-8 text of at most 4096 bytes" {
		t.Fatalf("got %v", err)
	}
}
