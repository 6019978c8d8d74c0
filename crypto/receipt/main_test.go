package receipt

import (
	"os"
	"testing"

	"refuge/internal/kdfcost"
)

// TestMain lowers the Argon2id cost for every test except the known-answer
// test, which calls deriveWith(releaseCost) explicitly.
func TestMain(m *testing.M) {
	kdfcost.LowerForTests()
	os.Exit(m.Run())
}
