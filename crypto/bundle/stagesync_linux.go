package bundle

import "golang.org/x/sys/unix"

// syncfsAbove is the number of staged files above which one syncfs(2) call
// (one journal commit for the whole file system) beats one fsync per file.
const syncfsAbove = 64

// sync makes every staged file and folder durable.
func (s *staging) sync() error {
	if len(s.names) <= syncfsAbove {
		return s.syncEach()
	}
	d, err := s.root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
