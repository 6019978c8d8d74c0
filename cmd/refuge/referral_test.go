package main

import (
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

func FuzzParseReferral(f *testing.F) {
	f.Add([]byte(goodForm))
	f.Add([]byte(`{"format":"refuge-referral-v1","family_members":[{"age":-1}]}`))
	f.Add([]byte(`{"consent":"yes"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseReferral(data)
		if err != nil {
			return
		}
		if r.check() == nil && (!r.Consent || r.DefenderName == "") {
			t.Fatal("accepted a referral without consent or defender")
		}
	})
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
