package bundle

import (
	"path"
	"runtime"
)

// syncEach makes every staged file and its folders durable, one fsync each.
func (s *staging) syncEach() error {
	dirs := map[string]bool{".": true}
	for _, name := range s.names {
		if err := s.syncOne(name, false); err != nil {
			return err
		}
		for d := path.Dir(name); !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		if err := s.syncOne(d, true); err != nil {
			return err
		}
	}
	return nil
}

// syncOne fsyncs one staged file or folder, then lets a file's pages
// leave the page cache (writeback_linux.go). Windows cannot sync folders;
// there the rename is as durable as the file system makes it.
func (s *staging) syncOne(name string, dir bool) error {
	if dir && runtime.GOOS == "windows" {
		return nil
	}
	f, err := s.root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	if !dir {
		dropCached(f)
	}
	return nil
}
