package signing

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustGenerate(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Destroy)
	return k
}

func TestSignVerify(t *testing.T) {
	k := mustGenerate(t)
	other := mustGenerate(t)
	msg := []byte("refuge key manifest")
	sig, err := k.Sign(msg, "refuge-manifest-v1 version 3")
	if err != nil {
		t.Fatal(err)
	}
	tc, err := k.Public().Verify(msg, sig)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if tc != "refuge-manifest-v1 version 3" {
		t.Errorf("trusted comment = %q", tc)
	}

	flipped := bytes.Clone(msg)
	flipped[0] ^= 1
	// Change the trusted comment but keep the signature lines.
	lines := strings.Split(string(sig), "\n")
	lines[2] = "trusted comment: refuge-manifest-v1 version 99"
	badComment := []byte(strings.Join(lines, "\n"))

	tests := []struct {
		desc string
		pub  PublicKey
		msg  []byte
		sig  []byte
		want error
	}{
		{"tampered message", k.Public(), flipped, sig, ErrBadSignature},
		{"tampered trusted comment", k.Public(), msg, badComment, ErrBadSignature},
		{"other key", other.Public(), msg, sig, ErrWrongKey},
		{"garbage signature", k.Public(), msg, []byte("not a signature"), ErrMalformedSignature},
		{"empty signature", k.Public(), msg, nil, ErrMalformedSignature},
		{"huge signature", k.Public(), msg, bytes.Repeat([]byte("A"), MaxSignatureSize+1), ErrMalformedSignature},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := tc.pub.Verify(tc.msg, tc.sig)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignRejectsMultilineComment(t *testing.T) {
	k := mustGenerate(t)
	if _, err := k.Sign([]byte("m"), "a\nb"); err == nil {
		t.Fatal("Sign accepted a trusted comment with a newline")
	}
}

func TestDestroy(t *testing.T) {
	k := mustGenerate(t)
	k.Destroy()
	k.Destroy()
	if _, err := k.Sign([]byte("m"), "c"); err == nil {
		t.Fatal("Sign worked after Destroy")
	}
	if _, err := k.Encrypt([]byte("pw")); err == nil {
		t.Fatal("Encrypt worked after Destroy")
	}
}

func TestVerifyZeroKey(t *testing.T) {
	k := mustGenerate(t)
	sig, _ := k.Sign([]byte("m"), "c")
	if _, err := (PublicKey{}).Verify([]byte("m"), sig); err == nil {
		t.Fatal("the zero PublicKey verified a signature")
	}
}

func TestParsePublicKey(t *testing.T) {
	k := mustGenerate(t)
	s := k.Public().String()
	tests := []struct {
		desc string
		in   string
		ok   bool
	}{
		{"base64 string", s, true},
		{"with whitespace", "  " + s + "\n", true},
		{"pub file", string(k.Public().PubFile()), true},
		{"empty", "", false},
		{"garbage", "hello", false},
		{"truncated", s[:len(s)-4], false},
		{"trailing garbage", s + "AAAA", false},
		{"signature instead of key", "RUSB3LOn2bi2S7KZ6G21SkTxoKBLy6StAGcEgpwD1+hPjSXRFVxsVLPTk8XFjcVwcr+2wPZKBx6kmawag5VzjmaYUHfw/dMkagM=", false},
		{"age recipient", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", false},
		{"huge", strings.Repeat("A", 2000), false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			p, err := ParsePublicKey(tc.in)
			if tc.ok {
				if err != nil {
					t.Fatalf("ParsePublicKey: %v", err)
				}
				if !p.Equal(k.Public()) || p.String() != s {
					t.Fatal("parsed a different key")
				}
				return
			}
			if !errors.Is(err, ErrMalformedPublicKey) {
				t.Fatalf("error = %v, want ErrMalformedPublicKey", err)
			}
		})
	}
	if !strings.HasPrefix(s, "RW") {
		t.Errorf("public key %q does not start with RW", s)
	}
	if len(k.Public().KeyID()) != 16 {
		t.Errorf("key id %q is not 16 hex digits", k.Public().KeyID())
	}
}

func TestPublicKeyText(t *testing.T) {
	k := mustGenerate(t)
	b, err := k.Public().MarshalText()
	if err != nil || string(b) != k.Public().String() {
		t.Fatalf("MarshalText = %q, %v", b, err)
	}
	var p PublicKey
	if err := p.UnmarshalText(b); err != nil || !p.Equal(k.Public()) {
		t.Fatalf("UnmarshalText: %v", err)
	}
	if err := p.UnmarshalText([]byte("nope")); !errors.Is(err, ErrMalformedPublicKey) {
		t.Fatalf("UnmarshalText(nope) = %v", err)
	}
	if _, err := (PublicKey{}).MarshalText(); err == nil {
		t.Fatal("the zero key encoded")
	}
}
