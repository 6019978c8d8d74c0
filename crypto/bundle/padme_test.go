package bundle

import (
	"bytes"
	"testing"

	"filippo.io/age"
)

func TestPaddedSize(t *testing.T) {
	tests := []struct {
		desc string
		n    int64
		want int64
	}{
		{desc: "empty", n: 0, want: MinPaddedSize},
		{desc: "one block", n: 512, want: MinPaddedSize},
		{desc: "exactly minimum", n: MinPaddedSize, want: MinPaddedSize},
		{desc: "just above minimum", n: MinPaddedSize + 1, want: MinPaddedSize + 2048},
		{desc: "one MiB", n: 1 << 20, want: 1 << 20},
		{desc: "one MiB plus one", n: 1<<20 + 1, want: 1<<20 + 32768},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := PaddedSize(tc.n); got != tc.want {
				t.Errorf("PaddedSize(%d) = %d, want %d", tc.n, got, tc.want)
			}
		})
	}
}

func TestPaddedSizeProperties(t *testing.T) {
	for n := int64(0); n < 1<<40; n = n*9/8 + 511 {
		p := PaddedSize(n)
		if p < n || p%512 != 0 || p < MinPaddedSize {
			t.Fatalf("PaddedSize(%d) = %d", n, p)
		}
		if n >= MinPaddedSize && float64(p-n) > 0.12*float64(n) {
			t.Fatalf("PaddedSize(%d) = %d: overhead above 12%%", n, p)
		}
		if PaddedSize(p) != p {
			t.Fatalf("PaddedSize(%d) = %d is not a fixed point", p, PaddedSize(p))
		}
	}
}

func TestSealLengthHidesSmallDifferences(t *testing.T) {
	id := newIdentity(t)
	tests := []struct {
		desc string
		a, b int
	}{
		{desc: "small files", a: 100, b: 700},
		{desc: "one MB", a: 1_000_000, b: 1_000_400},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			x := seal(t, id, baseContents(bytesFile("a.bin", make([]byte, tc.a))))
			y := seal(t, id, baseContents(bytesFile("a.bin", bytes.Repeat([]byte{1}, tc.b))))
			if len(x) != len(y) {
				t.Errorf("bundle lengths differ: %d and %d", len(x), len(y))
			}
		})
	}
}

func TestSealRefusesClassicRecipients(t *testing.T) {
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	s, err := age.NewScryptRecipient("not a real passphrase")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc string
		r    []age.Recipient
	}{
		{desc: "none", r: nil},
		{desc: "x25519", r: []age.Recipient{x.Recipient()}},
		{desc: "scrypt", r: []age.Recipient{s}},
		{desc: "hybrid and x25519", r: []age.Recipient{newIdentity(t).Recipient(), x.Recipient()}},
		{desc: "nil hybrid", r: []age.Recipient{(*age.HybridRecipient)(nil)}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := Seal(&buf, tc.r, baseContents()); err == nil {
				t.Fatal("Seal succeeded")
			}
			if buf.Len() != 0 {
				t.Errorf("Seal wrote %d bytes before refusing", buf.Len())
			}
		})
	}
}
