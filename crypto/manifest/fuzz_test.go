package manifest

import (
	"testing"
)

// fuzzSeeds are manifest.json variants: valid, and each kind of rejection.
var fuzzSeeds = []string{
	`{"format":"refuge-manifest-v1","version":3,"expires":"2027-06-30","recipients":["age1pq1x"],"partners":[{"name":"fld","key":"RWSB3LOn2bi2S3nqoA/lWqyh5f1FRrelujdPF25ZjavG+cMk5ShCtsMH"}],"ack_key":"RWSB3LOn2bi2S3nqoA/lWqyh5f1FRrelujdPF25ZjavG+cMk5ShCtsMH"}`,
	`{"format":"refuge-manifest-v1","version":1,"expires":"2027-06-30","recipients":[],"partners":[]}`,
	`{"format":"refuge-manifest-v1","version":1,"expires":"2027-06-30","recipients":["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"],"partners":[]}`,
	`{"format":"refuge-manifest-v1","version":1,"version":2}`,
	`{"Format":"refuge-manifest-v1"}`,
	`{"partners":[{"name":{"a":1}}]}`,
	`[[[[{}]]]]`,
	`{}`,
	``,
}

// FuzzParse checks that Parse never panics and that whatever it accepts is
// a manifest Sign would also produce (it re-validates and re-parses).
func FuzzParse(f *testing.F) {
	good := mustJSON(f, goodManifest(f))
	f.Add(good)
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if m != nil {
				t.Fatal("Parse returned a manifest and an error")
			}
			return
		}
		if err := m.validate(); err != nil {
			t.Fatalf("Parse accepted a manifest that does not validate: %v", err)
		}
		again, err := jsonMarshal(*m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("re-encoded accepted manifest does not parse: %v", err)
		}
	})
}

// FuzzVerify checks that Verify never panics and never accepts anything but
// the exact bytes that were signed.
func FuzzVerify(f *testing.F) {
	root := newKey(f)
	mj, sig, err := Sign(goodManifest(f), root, testNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mj, sig)
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), sig)
	}
	f.Fuzz(func(t *testing.T, b, s []byte) {
		m, err := Verify(b, s, root.Public(), testNow, nil)
		if err != nil {
			return
		}
		if string(b) != string(mj) || m.Version != 3 {
			t.Fatal("Verify accepted bytes that were never signed")
		}
	})
}
