//go:build !linux

package noreplace

// Rename renames oldpath (a file or a folder) to newpath, failing with an
// error that wraps fs.ErrExist if newpath exists, whatever it is, which is
// left as it was. Off Linux it is not atomic: it checks that newpath does
// not exist, then renames, so a process that creates newpath between the
// two could have its file replaced (a folder that is not empty is refused
// by the rename itself on the usual systems). The commands use it for
// names inside a folder of the user's own, where no other writer is
// expected.
func Rename(oldpath, newpath string) error {
	return renameChecked(oldpath, newpath)
}
