//go:build !unix

package manifest

// lockDir is a no-op where there is no flock: updates from concurrent
// processes are then not serialised (a documented limitation).
func lockDir(dir string) (unlock func(), err error) {
	return func() {}, nil
}
