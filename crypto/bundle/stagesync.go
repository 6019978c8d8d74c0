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

// syncOne fsyncs one staged file or folder. Windows cannot sync folders;
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
	return f.Sync()
}
