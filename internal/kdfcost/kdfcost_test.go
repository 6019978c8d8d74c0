package kdfcost

import "testing"

func TestLowerForTests(t *testing.T) {
	if Low() {
		t.Fatal("Low() is true before LowerForTests was called")
	}
	LowerForTests()
	if !Low() {
		t.Fatal("Low() is false after LowerForTests")
	}
	low.Store(false) // leave the process as we found it
}
