package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncfs writes out every dirty page of the file system holding dir.
func syncfs(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
