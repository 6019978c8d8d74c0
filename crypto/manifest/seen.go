package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"refuge/crypto/signing"
)

const (
	// SeenFileName is the name of the rollback state file.
	SeenFileName = "seen-manifests.json"
	seenFormat   = "refuge-seen-manifests-v1"
	maxSeenSize  = 1 << 20
)

// ErrStateCorrupt means the rollback state file exists but cannot be read
// as one. It is never reset silently: a person must look at it.
var ErrStateCorrupt = errors.New("rollback state file " + SeenFileName + " is corrupted; refusing to reset it (check it, or remove it only if you know no older manifest can be replayed)")

// SeenStore records, per root public key, the highest manifest version this
// machine has accepted, in a small JSON file (mode 0600, replaced atomically:
// temporary file, fsync, rename, fsync of the directory). Processes sharing
// the file serialise their updates with an advisory lock where the platform
// has one.
type SeenStore struct {
	dir string
	mu  sync.Mutex
}

// seenFile is the content of seen-manifests.json.
type seenFile struct {
	Format string            `json:"format"`
	Roots  map[string]uint64 `json:"roots"` // root public key "RW…" → highest version
}

// DefaultStateDir returns $REFUGE_STATE_DIR if set, else
// os.UserConfigDir()/refuge.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("REFUGE_STATE_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a configuration directory (set REFUGE_STATE_DIR): %v", err)
	}
	return filepath.Join(base, "refuge"), nil
}

// OpenSeenStore returns the store kept in dir; an empty dir means
// [DefaultStateDir]. It reads the file once to report corruption early.
// It creates nothing: dir is made (mode 0700) only when a version is first
// recorded, so a device where no manifest ever passed holds no folder.
func OpenSeenStore(dir string) (*SeenStore, error) {
	if dir == "" {
		d, err := DefaultStateDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	s := &SeenStore{dir: dir}
	if _, err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the path of the state file.
func (s *SeenStore) Path() string { return filepath.Join(s.dir, SeenFileName) }

// Highest returns the highest version recorded for root (0 if none).
func (s *SeenStore) Highest(root signing.PublicKey) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.load()
	if err != nil {
		return 0, err
	}
	return f.Roots[root.String()], nil
}

// Record raises the version recorded for root to version; it never lowers it.
func (s *SeenStore) Record(root signing.PublicKey, version uint64) error {
	return s.update(root, version, false)
}

// accept refuses version with a *RollbackError if it is lower than the
// highest recorded for root, and otherwise records it, under one lock.
func (s *SeenStore) accept(root signing.PublicKey, version uint64) error {
	return s.update(root, version, true)
}

func (s *SeenStore) update(root signing.PublicKey, version uint64, refuseLower bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Lstat(s.dir); errors.Is(err, fs.ErrNotExist) {
		if version == 0 {
			return nil // nothing to keep: no folder is made for it
		}
		// The first version to keep: the folder is made now, owner-only
		// from the start (MkdirAll gives 0700 or tighter, never looser).
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return fmt.Errorf("cannot create the state directory: %w", err)
		}
	}
	unlock, err := lockDir(s.dir)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := s.load()
	if err != nil {
		return err
	}
	key := root.String()
	h := f.Roots[key]
	if refuseLower && version < h {
		return &RollbackError{Version: version, Highest: h}
	}
	if h >= version {
		return nil
	}
	f.Roots[key] = version
	return s.write(f)
}

// load reads the state file; a missing file is an empty store.
func (s *SeenStore) load() (*seenFile, error) {
	b, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return &seenFile{Format: seenFormat, Roots: map[string]uint64{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read rollback state file: %w", err)
	}
	if len(b) > maxSeenSize {
		return nil, ErrStateCorrupt
	}
	f := &seenFile{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil || dec.More() || f.Format != seenFormat || f.Roots == nil {
		return nil, ErrStateCorrupt
	}
	for k := range f.Roots {
		if _, err := signing.ParsePublicKey(k); err != nil {
			return nil, ErrStateCorrupt
		}
	}
	return f, nil
}

// write replaces the state file atomically and durably.
func (s *SeenStore) write(f *seenFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode rollback state: %v", err)
	}
	tmp, err := os.CreateTemp(s.dir, SeenFileName+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("cannot write rollback state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.Path())
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		return fmt.Errorf("cannot write rollback state file: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
