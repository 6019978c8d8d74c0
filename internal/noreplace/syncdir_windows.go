package noreplace

// SyncDir does nothing on Windows, where directories cannot be fsynced.
func SyncDir(dir string) error { return nil }
