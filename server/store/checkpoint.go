package store

import (
	"encoding"
	"fmt"
	"hash"
)

// checkpointer commits a long chunk's progress in the background. A
// step's fsync and commit then overlap with receiving the next step
// instead of stalling it: with the commits in line, one 1 GiB PATCH on
// the shared VM ran at a median of 138 MB/s against 235 MB/s with none
// (four runs each, under load from other processes).
//
// At most one commit runs at a time: start waits for the previous one.
// So the store reports at most one step less than it has received, and a
// crash mid-chunk loses at most two steps. The caller must call wait
// before it touches what commit changes (the upload record).
type checkpointer struct {
	running hash.Hash // the upload's running hash, at the step's end when start is called
	commit  func(end int64, state []byte) error
	done    chan error // nil when no commit runs
}

// start records the hash state at end and commits it in the background,
// after waiting for the previous commit; its error, if any, is returned.
func (c *checkpointer) start(end int64) error {
	if err := c.wait(); err != nil {
		return err
	}
	state, err := hashState(c.running)
	if err != nil {
		return err
	}
	c.done = make(chan error, 1)
	go func() { c.done <- c.commit(end, state) }()
	return nil
}

// wait waits for the running commit, if any, and returns its error.
func (c *checkpointer) wait() error {
	if c.done == nil {
		return nil
	}
	err := <-c.done
	c.done = nil
	return err
}

// hashState is the running hash's state, as the upload record keeps it.
func hashState(h hash.Hash) ([]byte, error) {
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("store: hash state: %w", err)
	}
	return state, nil
}
