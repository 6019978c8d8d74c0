package receipt

import "testing"

// BenchmarkDeriveReleaseCost measures one derivation at the real cost
// (Argon2id time 3, 64 MiB, 4 threads).
func BenchmarkDeriveReleaseCost(b *testing.B) {
	p, err := Generate()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := deriveWith(p, releaseCost); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse measures parsing a typed phrase.
func BenchmarkParse(b *testing.B) {
	in := []byte("Ozone  DRILL grab fibe curtain grace pudding thank cruise elder eight picnic")
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
