//go:build unix

package store_test

import (
	"bytes"
	"fmt"
	"syscall"

	"refuge/server/store"
)

// fsizeWriter runs in the limited process: it sends the upload in one
// chunk, which fails part way, and prints "offset N" as WriteChunk
// returned it, then the error.
func fsizeWriter(dir string) error {
	lim := syscall.Rlimit{Cur: fsizeLimit, Max: fsizeLimit}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return err
	}
	s, err := store.Open(dir, store.Options{CheckpointBytes: fsizeStep})
	if err != nil {
		return err
	}
	u := fsizeUpload()
	if err := s.CreateUpload(ctx, u); err != nil {
		return err
	}
	n, err := s.WriteChunk(ctx, u.ID, 0, bytes.NewReader(fsizeData()), nil)
	fmt.Printf("offset %d\n%v\n", n, err)
	return s.Close()
}
