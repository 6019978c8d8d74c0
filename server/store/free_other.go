//go:build !linux && !darwin && !windows

package store

import "math"

// freeSpace does not know the free space here: no floor is kept.
func freeSpace(string) (int64, error) { return math.MaxInt64, nil }
