//go:build unix && !linux && !darwin

package noreplace

// linkNoReplace puts the file tmp at name, failing with fs.ErrExist if
// name exists: linkThenUnlink, there being no portable rename that never
// replaces.
func linkNoReplace(tmp, name string) error { return linkThenUnlink(tmp, name) }
