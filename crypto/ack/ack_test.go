package ack

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
)

func TestMain(m *testing.M) {
	kdfcost.LowerForTests()
	os.Exit(m.Run())
}

const id = "0123456789abcdef0123456789abcdef"

func TestSignVerify(t *testing.T) {
	key, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	defer key.Destroy()
	s := Statement{SubmissionID: id, SHA256: sha256.Sum256([]byte("ciphertext"))}
	stmt, sig, err := Sign(key, s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"submission_id":"` + id + `","sha256":"` + hex.EncodeToString(s.SHA256[:]) + `","imported":true}`
	if string(stmt) != want {
		t.Fatalf("statement is not canonical: %s", stmt)
	}
	got, err := Verify(key.Public(), stmt, sig)
	if err != nil {
		t.Fatal(err)
	}
	if got != s {
		t.Fatalf("round trip: got %+v, want %+v", got, s)
	}

	other, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Destroy()
	if _, err := Verify(other.Public(), stmt, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("another key's verification: %v, want ErrBadSignature", err)
	}
	altered := bytes.Replace(stmt, []byte(id), []byte(strings.Repeat("f", 32)), 1)
	if _, err := Verify(key.Public(), altered, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered statement: %v, want ErrBadSignature", err)
	}
}

func TestParse(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, c := range []struct {
		desc string
		in   string
		ok   bool
	}{
		{"canonical", `{"submission_id":"` + id + `","sha256":"` + sum + `","imported":true}`, true},
		{"other order and spaces", `{ "imported": true, "sha256":"` + sum + `", "submission_id":"` + id + `" }`, true},
		{"imported false", `{"submission_id":"` + id + `","sha256":"` + sum + `","imported":false}`, false},
		{"missing imported", `{"submission_id":"` + id + `","sha256":"` + sum + `"}`, false},
		{"unknown field", `{"submission_id":"` + id + `","sha256":"` + sum + `","imported":true,"x":1}`, false},
		{"duplicate id", `{"submission_id":"` + strings.Repeat("0", 32) + `","submission_id":"` + id + `","sha256":"` + sum + `","imported":true}`, false},
		// The standard decoder takes a field whose name differs only in
		// case, the last of them: a signed statement read two ways.
		{"field name in upper case", `{"SUBMISSION_ID":"` + id + `","sha256":"` + sum + `","imported":true}`, false},
		{"second id in another case", `{"submission_id":"` + strings.Repeat("0", 32) + `","sha256":"` + sum + `","imported":true,"Submission_Id":"` + id + `"}`, false},
		{"upper-case hash", `{"submission_id":"` + id + `","sha256":"` + strings.ToUpper(sum) + `","imported":true}`, false},
		{"NUL in id", `{"submission_id":"` + id[:31] + `\u0000","sha256":"` + sum + `","imported":true}`, false},
		{"nested 1000 deep", strings.Repeat("[", 1000), false},
		{"short id", `{"submission_id":"abc","sha256":"` + sum + `","imported":true}`, false},
		{"path in id", `{"submission_id":"../../../../../../etc/passwd0000","sha256":"` + sum + `","imported":true}`, false},
		{"trailing data", `{"submission_id":"` + id + `","sha256":"` + sum + `","imported":true}{}`, false},
		{"trailing garbage", `{"submission_id":"` + id + `","sha256":"` + sum + `","imported":true}]`, false},
		{"array", `[]`, false},
		{"empty", ``, false},
		{"too long", `{"submission_id":"` + id + `","sha256":"` + sum + `","imported":true` + strings.Repeat(" ", MaxStatementSize) + `}`, false},
	} {
		t.Run(c.desc, func(t *testing.T) {
			s, err := Parse([]byte(c.in))
			if c.ok != (err == nil) {
				t.Fatalf("Parse: %v, want ok=%v", err, c.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error does not wrap ErrMalformed: %v", err)
				}
				if strings.Contains(err.Error(), id) {
					t.Fatalf("error quotes the input: %v", err)
				}
				return
			}
			if s.SubmissionID != id || s.SHA256[0] != 0xab {
				t.Fatalf("parsed %+v", s)
			}
		})
	}
}

func TestMarshalRefusesBadID(t *testing.T) {
	if _, err := (Statement{SubmissionID: "../x"}).Marshal(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Marshal with a bad id: %v", err)
	}
}

// FuzzParse: whatever Parse accepts marshals back to bytes that parse to
// the same statement.
func FuzzParse(f *testing.F) {
	sum := strings.Repeat("0f", 32)
	f.Add([]byte(`{"submission_id":"` + id + `","sha256":"` + sum + `","imported":true}`))
	f.Add([]byte(`{"imported":true,"sha256":"` + sum + `","submission_id":"` + id + `"}`))
	f.Add([]byte(`{"submission_id":"` + id + `","submission_id":"` + id + `"}`))
	f.Add([]byte(`{"submission_id":1}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatalf("accepted statement does not marshal: %v", err)
		}
		back, err := Parse(out)
		if err != nil || back != s {
			t.Fatalf("re-parse: %+v, %v", back, err)
		}
	})
}
