package bundle

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"refuge/internal/noreplace"
)

// stagingPrefix starts the name of the directory where Open extracts a bundle
// before it is verified.
const stagingPrefix = ".refuge-staging-"

// staging is a fresh directory inside the output directory. Every file is
// created through an os.Root, so no name can resolve outside it, and with
// O_EXCL, so no name can reuse an existing file (even on a file system that
// folds case or normalises Unicode).
type staging struct {
	outDir string
	dir    string
	root   *os.Root
	names  []string // files and folders created, for sync
}

func newStaging(outDir string) (*staging, error) {
	fi, err := os.Stat(outDir)
	if err != nil {
		return nil, fmt.Errorf("cannot use output directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, errors.New("cannot use output directory: not a directory")
	}
	dir := filepath.Join(outDir, stagingPrefix+hex.EncodeToString(randomBytes(8)))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create staging directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("cannot open staging directory: %w", err)
	}
	return &staging{outDir: outDir, dir: dir, root: root}, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// create makes a new regular file (and its parent folders) in the staging
// directory. name was checked by checkEntryName or is a fixed name.
func (s *staging) create(name string) (*os.File, error) {
	if dir := path.Dir(name); dir != "." {
		if err := s.root.MkdirAll(dir, 0o700); err != nil {
			return nil, stageErr(err)
		}
	}
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, stageErr(err)
	}
	s.names = append(s.names, name)
	return f, nil
}

// stageErr drops the path (a name from the bundle) from a file system error.
func stageErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: two entries map to the same file on this file system", ErrUnsafeEntry)
	}
	return fmt.Errorf("cannot write entry: %w", err)
}

// commit syncs the staging directory and renames it to outDir/id, refusing
// to replace anything that exists. It returns the final path.
//
// Why open syncs at all (stock "age -d | tar x" does not): Open reports
// success, and the officer tool then writes the acknowledgement that makes
// the server delete the ciphertext, only after commit returns. So the files
// must be on disk before the rename, and the rename before the return. A
// crash before the sync leaves only the staging folder, which
// StagingLeftovers reports as unverified. Without the sync, a crash after the
// rename could leave truncated files in a folder presented as verified
// (ext4's delayed allocation commits a rename without the data), and an
// acknowledgement written afterwards could delete the only good copy.
//
// The cost is kept off the critical path rather than skipped: the sink's
// writer goroutine starts writeback of every 8 MiB as it goes
// (writeback_linux.go), so the disk works while decryption and hashing go on
// and this sync waits only for the last few MiB; a bundle of many files
// costs one syncfs instead of an fsync per file (stagesync_linux.go).
func (s *staging) commit(id string) (string, error) {
	if err := s.sync(); err != nil {
		return "", fmt.Errorf("cannot sync staged files: %w", err)
	}
	final := filepath.Join(s.outDir, id)
	if err := noreplace.Rename(s.dir, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%w: %s", ErrAlreadyOpened, id)
		}
		return "", fmt.Errorf("cannot move staged submission into place: %w", err)
	}
	s.dir = ""
	if err := noreplace.SyncDir(s.outDir); err != nil {
		return "", err
	}
	return final, nil
}

// cleanup removes the staging directory unless it was committed.
func (s *staging) cleanup() {
	s.root.Close()
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// StagingLeftovers lists staging directories in outDir that an interrupted
// Open (a crash or kill) left behind. Their content is unverified plaintext:
// a caller should warn and let the officer delete them, never present them
// as a submission. Do not delete them while another Open may be running on
// the same outDir.
func StagingLeftovers(outDir string) ([]string, error) {
	return filepath.Glob(filepath.Join(outDir, stagingPrefix+"*"))
}
