//go:build !linux

package bundle

// sync makes every staged file and folder durable.
func (s *staging) sync() error { return s.syncEach() }
