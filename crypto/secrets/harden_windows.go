package secrets

// disableCoreDumps does nothing on Windows, which writes no core files;
// memguard's VirtualLock failures still panic there (not probed).
func disableCoreDumps() error { return nil }

func probeMemlock(pages int) error { return nil }
