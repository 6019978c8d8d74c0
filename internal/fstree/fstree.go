// Package fstree describes a folder tree for tests that must show that a
// command made, removed or changed nothing in it.
package fstree

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Snapshot describes everything under root: each path with its type,
// mode, size, modification time and link target. Two equal snapshots
// mean nothing under root was made, removed or changed (a folder's time
// changes when an entry is made in it, even one removed again).
func Snapshot(t testing.TB, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		target, _ := os.Readlink(path)
		fmt.Fprintf(&b, "%s %v %d %d %s\n", path, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), target)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
