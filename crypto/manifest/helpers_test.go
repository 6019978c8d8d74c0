package manifest

import (
	"os"
	"testing"
	"time"

	"filippo.io/age"

	"refuge/crypto/signing"
	"refuge/internal/kdfcost"
)

func TestMain(m *testing.M) {
	kdfcost.LowerForTests()
	os.Exit(m.Run())
}

// testNow is the fixed "current time" of the tests: noon UTC.
var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func day(offset int) string { return testNow.AddDate(0, 0, offset).Format(DateLayout) }

func newKey(t testing.TB) *signing.PrivateKey {
	t.Helper()
	k, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Destroy)
	return k
}

func pqRecipient(t testing.TB) string {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

func classicRecipient(t testing.TB) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

// goodManifest returns a valid manifest with one recipient, one partner and
// an acknowledgement key, expiring in 30 days.
func goodManifest(t testing.TB) Manifest {
	t.Helper()
	return Manifest{
		Version:    3,
		Expires:    day(30),
		Recipients: []string{pqRecipient(t)},
		Partners:   []Partner{{Name: "fld", Key: newKey(t).Public().String()}},
		AckKey:     newKey(t).Public().String(),
	}
}

func seenStore(t testing.TB) *SeenStore {
	t.Helper()
	s, err := OpenSeenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
