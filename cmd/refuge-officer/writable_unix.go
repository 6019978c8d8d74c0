//go:build unix

package main

import "golang.org/x/sys/unix"

// canWrite asks the system whether this account may make files in the
// folder dir: write and search permission, on a disk mounted read-write.
func canWrite(dir string) error {
	return unix.Access(dir, unix.W_OK|unix.X_OK)
}
