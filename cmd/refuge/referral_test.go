package main

import "testing"

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
