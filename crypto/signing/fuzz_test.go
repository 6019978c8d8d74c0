package signing

import (
	"testing"
)

// FuzzParsePublicKey checks that ParsePublicKey never panics and that what it
// accepts round-trips through String.
func FuzzParsePublicKey(f *testing.F) {
	f.Add("RWSB3LOn2bi2S3nqoA/lWqyh5f1FRrelujdPF25ZjavG+cMk5ShCtsMH")
	f.Add("untrusted comment: minisign public key 4BB6B8D9A7B3DC81\nRWSB3LOn2bi2S3nqoA/lWqyh5f1FRrelujdPF25ZjavG+cMk5ShCtsMH\n")
	f.Add("RW")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePublicKey(s)
		if err != nil {
			return
		}
		q, err := ParsePublicKey(p.String())
		if err != nil || !q.Equal(p) {
			t.Fatalf("accepted key does not round-trip: %v", err)
		}
	})
}

// FuzzVerify checks that Verify never panics on hostile signature text and
// never accepts a signature over a different message.
func FuzzVerify(f *testing.F) {
	k, err := Generate()
	if err != nil {
		f.Fatal(err)
	}
	defer k.Destroy()
	msg := []byte("fuzz message")
	sig, err := k.Sign(msg, "fuzz comment")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sig)
	f.Add([]byte("untrusted comment: x\nRUSB3LOn2bi2S7KZ6G21SkTxoKBLy6StAGcEgpwD1+hPjSXRFVxsVLPTk8XFjcVwcr+2wPZKBx6kmawag5VzjmaYUHfw/dMkagM=\ntrusted comment: tc here\nA737umX34cnT4WHKropHC8Af+jj6uOjubomQ3SWjrFyLjIlT3FBY2op4n9Vzgolxe2EJhkUDB82X9eR2FmSAAQ==\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, s []byte) {
		k.Public().Verify(msg, s)
		if _, err := k.Public().Verify([]byte("other message"), s); err == nil {
			t.Fatal("a signature verified for a message that was never signed")
		}
	})
}
