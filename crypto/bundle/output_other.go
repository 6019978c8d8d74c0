//go:build !unix

package bundle

// isNotSyncable reports whether a Sync error only means that the file cannot
// be synced; on these systems any Sync error of standard output is ignored.
func isNotSyncable(err error) bool { return true }
