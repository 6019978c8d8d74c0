//go:build !linux

package bundle

// renameNoReplace renames oldpath to newpath, failing with an error wrapping
// fs.ErrExist if newpath exists. Without an atomic primitive it checks first,
// so a concurrent local writer could race it.
func renameNoReplace(oldpath, newpath string) error {
	return renameChecked(oldpath, newpath)
}
