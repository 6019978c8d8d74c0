//go:build !unix && !windows

package flock

import "os"

func lock(*os.File, bool) error { return nil }
