package signing

import (
	"os"
	"testing"

	"refuge/internal/kdfcost"
)

// TestMain lowers the scrypt cost of key files written by tests.
func TestMain(m *testing.M) {
	kdfcost.LowerForTests()
	os.Exit(m.Run())
}
