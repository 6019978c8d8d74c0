//go:build !windows

package store

const canSyncDir = true
