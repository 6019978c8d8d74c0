//go:build !linux

package main

import "errors"

// syncfs is syncfs(2), which only Linux has: -syncfs is refused elsewhere.
func syncfs(dir string) error {
	return errors.New("-syncfs needs Linux (syncfs(2))")
}
