// Package kdfcost is Refuge's one documented test knob: it lets tests lower
// the cost of the password and phrase key-derivation functions (Argon2id for
// receipt phrases, scrypt for minisign and age key files) so that the test
// suite stays fast under the race detector.
//
// # Guarantee
//
// The knob can only be turned in a test binary. [LowerForTests] panics unless
// [testing.Testing] reports true, which the Go toolchain sets only when it
// links a binary with "go test". A release build therefore always runs at full
// cost, whatever its code calls: lowering the cost by accident is impossible,
// and lowering it on purpose outside a test crashes the program.
//
// Packages that derive keys consult [Low] at the moment of derivation.
// Parameters written into files (for example the scrypt parameters of a
// minisign key file) are recorded in the file, so a low-cost file made by a
// test stays readable by every tool; it is just cheap to attack, which is why
// only tests may make one.
package kdfcost

import (
	"sync/atomic"
	"testing"
)

// low is the knob. It is the only package-level mutable state in Refuge and
// is set only through LowerForTests.
var low atomic.Bool

// LowerForTests lowers key-derivation costs for the rest of the process.
// Call it from TestMain (or a test) before any key derivation. It panics if
// the running binary was not built by "go test".
func LowerForTests() {
	if !testing.Testing() {
		panic("kdfcost: LowerForTests called outside a test binary")
	}
	low.Store(true)
}

// Low reports whether [LowerForTests] has been called in this (test) process.
// It is always false in a binary not built by "go test".
func Low() bool {
	return low.Load() && testing.Testing()
}
