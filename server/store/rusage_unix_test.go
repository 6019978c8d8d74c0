//go:build unix

package store_test

import (
	"runtime"
	"syscall"
	"testing"
)

// reportPeakRSS reports the process's peak resident set, in MiB
// (getrusage's ru_maxrss: KiB, but bytes on macOS).
func reportPeakRSS(b *testing.B) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return
	}
	kib := float64(ru.Maxrss)
	if runtime.GOOS == "darwin" {
		kib /= 1024
	}
	b.ReportMetric(kib/1024, "peak-RSS-MiB")
}
