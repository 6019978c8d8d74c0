package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"refuge/internal/strictjson"
)

// referral is referral.json, the structured form a partner files:
//
//	{"format":"refuge-referral-v1","defender_name":"…","nationality":"…",
//	 "current_country":"…","organisation":"…","work":"…","risk":"…",
//	 "urgency":"immediate|high|medium|low","family_members":[{"name":"…",
//	 "relationship":"…","age":7}],"consent":true,"safe_contact":"…",
//	 "referring_organisation":"…"}
//
// Every text field is UTF-8 of at most 4 KiB (risk and work 16 KiB).
type referral struct {
	Format                string   `json:"format"`
	DefenderName          string   `json:"defender_name"`
	Nationality           string   `json:"nationality"`
	CurrentCountry        string   `json:"current_country"`
	Organisation          string   `json:"organisation,omitempty"`
	Work                  string   `json:"work"`
	Risk                  string   `json:"risk"`
	Urgency               string   `json:"urgency"`
	FamilyMembers         []family `json:"family_members"`
	Consent               bool     `json:"consent"`
	SafeContact           string   `json:"safe_contact"`
	ReferringOrganisation string   `json:"referring_organisation"`
}

type family struct {
	Name         string `json:"name"`
	Relationship string `json:"relationship"`
	Age          int    `json:"age,omitempty"`
}

const referralFormat = "refuge-referral-v1"

var urgencies = []string{"immediate", "high", "medium", "low"}

// referralFields are the names of the fields of a referral and of a family
// member, as they are written. The standard decoder would keep the last of
// a field named twice and take "Consent" for "consent": a form that a
// script wrote wrongly would pass as one it did not mean, and be read one
// way here and another way by other tools, so strictjson refuses both.
// Which names belong to which object the decoder checks
// (DisallowUnknownFields).
var referralFields = []string{
	"format", "defender_name", "nationality", "current_country", "organisation", "work", "risk",
	"urgency", "family_members", "consent", "safe_contact", "referring_organisation",
	"name", "relationship", "age",
}

// parseReferral reads a form strictly: a field that is unknown, named
// twice or in another letter case is refused.
func parseReferral(data []byte) (*referral, error) {
	if len(data) > 256<<10 {
		return nil, errors.New("the referral form is larger than 256 KiB")
	}
	if err := strictjson.CheckFieldNames(data, referralFields...); err != nil {
		return nil, fmt.Errorf("the referral form is not valid: %s", nameProblem(err))
	}
	var r referral
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("the referral form is not valid: %s", formProblem(err))
	}
	if dec.More() {
		return nil, errors.New("the referral form has data after the JSON value")
	}
	if r.Format == "" {
		r.Format = referralFormat
	}
	return &r, nil
}

// nameProblem says what strictjson found wrong with a form, naming the
// field as the form wrote it: the form is the partner's own.
func nameProblem(err error) string {
	var ne *strictjson.NameError
	if !errors.As(err, &ne) {
		return "it must be a JSON object, {…}"
	}
	if ne.Twice {
		return fmt.Sprintf("field %q appears twice", ne.Name)
	}
	for _, n := range referralFields {
		if strings.EqualFold(n, ne.Name) {
			return fmt.Sprintf("field %q must be written %q", ne.Name, n)
		}
	}
	return fmt.Sprintf("unknown field %q", ne.Name)
}

// formProblem says what is wrong with a form that does not decode, in the
// form's own words: "field "consent" must be true or false", where
// encoding/json speaks of Go types ("cannot unmarshal string into Go
// struct field referral.consent of type bool").
func formProblem(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Type == nil {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	if te.Field == "" {
		return "it must be a JSON object, {…}"
	}
	want, ok := map[reflect.Kind]string{
		reflect.Bool: "true or false", reflect.String: "text in double quotes",
		reflect.Int: "a whole number", reflect.Slice: "a list, […]", reflect.Struct: "an object, {…}",
	}[te.Type.Kind()]
	if !ok {
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	}
	return fmt.Sprintf("field %q must be %s", te.Field, want)
}

// check validates a complete referral.
func (r *referral) check() error {
	if r.Format != referralFormat {
		return fmt.Errorf("format must be %s", referralFormat)
	}
	required := []struct {
		name, flag, v string
		max           int
	}{
		{"defender_name", "defender", r.DefenderName, 4 << 10}, {"nationality", "nationality", r.Nationality, 4 << 10},
		{"current_country", "country", r.CurrentCountry, 4 << 10}, {"work", "work", r.Work, 16 << 10},
		{"risk", "risk", r.Risk, 16 << 10}, {"urgency", "urgency", r.Urgency, 16},
		{"safe_contact", "contact", r.SafeContact, 4 << 10},
		{"referring_organisation", "referring-org", r.ReferringOrganisation, 4 << 10},
	}
	// Every missing field at once, by its name in the form and its flag: a
	// partner fills them all in one go, not one per run.
	var missing []string
	for _, f := range required {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, fmt.Sprintf("%s (--%s)", f.name, f.flag))
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		return fmt.Errorf("%s is missing", missing[0])
	default:
		return fmt.Errorf("%d fields are missing: %s", len(missing), strings.Join(missing, ", "))
	}
	for _, f := range required {
		if len(f.v) > f.max || !utf8.ValidString(f.v) {
			return fmt.Errorf("%s is not UTF-8 text of at most %d bytes", f.name, f.max)
		}
	}
	if len(r.Organisation) > 4<<10 || !utf8.ValidString(r.Organisation) {
		return errors.New("organisation is not UTF-8 text of at most 4096 bytes")
	}
	ok := false
	for _, u := range urgencies {
		ok = ok || r.Urgency == u
	}
	if !ok {
		return fmt.Errorf("urgency must be one of %s", strings.Join(urgencies, ", "))
	}
	if len(r.FamilyMembers) > 64 {
		return errors.New("more than 64 family members")
	}
	for i, m := range r.FamilyMembers {
		if strings.TrimSpace(m.Name) == "" || strings.TrimSpace(m.Relationship) == "" || len(m.Name) > 1024 || len(m.Relationship) > 1024 {
			return fmt.Errorf("family member %d needs a name and a relationship", i+1)
		}
		if m.Age < 0 || m.Age > 150 || !utf8.ValidString(m.Name+m.Relationship) {
			return fmt.Errorf("family member %d is malformed", i+1)
		}
	}
	if !r.Consent {
		return errors.New("consent is not given: the defender must agree to this referral (consent: true)")
	}
	return nil
}
