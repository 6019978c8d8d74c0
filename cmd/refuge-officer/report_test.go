package main

import (
	"strings"
	"testing"

	"refuge/internal/termtext"
)

func TestReferralText(t *testing.T) {
	for _, c := range []struct {
		desc string
		in   string
		want []string
	}{
		{"form in file order", `{"defender_name":"A. N.","urgency":"high","consent":true}`,
			[]string{"  defender name: A. N.\n  urgency: high\n  consent: true\n"}},
		{"family list", `{"family_members":[{"name":"B","relationship":"child","age":7}]}`,
			[]string{"  family members:\n    1.\n      name: B\n      relationship: child\n      age: 7\n"}},
		{"empty list and null", `{"family_members":[],"organisation":null}`,
			[]string{"  family members:\n    (none)\n", "  organisation: (none)\n"}},
		{"multi-line value", `{"risk":"line one\nline two"}`, []string{"  risk: line one\n      line two\n"}},
		{"terminal escapes neutralised", `{"work":"\u001b[2J\r\u202eevil"}`, []string{"  work: \uFFFD[2J\uFFFD\uFFFDevil\n"}},
		{"not JSON", "plain\x1b text", []string{"not valid JSON", "  | plain\uFFFD text\n"}},
		{"truncated JSON", `{"a":`, []string{"not valid JSON"}},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), []string{"not valid JSON"}},
		{"absent", ``, []string{"(no referral form)"}},
	} {
		t.Run(c.desc, func(t *testing.T) {
			got := referralText([]byte(c.in))
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Fatalf("referralText(%q) =\n%s\nwant it to contain\n%s", c.in, got, w)
				}
			}
		})
	}
}

// FuzzReferralText: whatever a hostile bundle puts in referral.json, the
// rendering neither panics nor lets a character that a terminal acts on
// reach the officer's terminal (spaces of every script, such as U+00A0,
// are shown as they are and stay).
func FuzzReferralText(f *testing.F) {
	f.Add([]byte(`{"format":"refuge-referral-v1","defender_name":"A","family_members":[{"name":"B","relationship":"child","age":7}],"consent":true}`))
	f.Add([]byte(`[1,[2,{"x":null}],"\u001b"]`))
	f.Add([]byte(`{"a":{"b":{"c":[]}}}`))
	f.Add([]byte("\x00\x1b[31m"))
	f.Add([]byte(`{"a":`))
	f.Add([]byte("A0\u00a0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range referralText(b) {
			if r != '\n' && !termtext.Shown(r) {
				t.Fatalf("control character %U in the rendering of %q", r, b)
			}
		}
	})
}
