package store_test

import "testing"

// reportPeakRSS reports nothing on Windows, which has no getrusage.
func reportPeakRSS(b *testing.B) {}
