//go:build unix && !linux

package secrets

// notDumpable has no portable equivalent outside Linux; RLIMIT_CORE=0 still
// applies.
func notDumpable() error { return nil }
