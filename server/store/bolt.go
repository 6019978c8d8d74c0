package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options tune a [BoltStore]. The zero value is the production setting.
type Options struct {
	// Now returns the current time; only its UTC day is used (expiry and
	// the dates of submissions and events). Nil means time.Now. Tests set
	// it to move across days.
	Now func() time.Time

	// LockTimeout is how long Open waits for another process to release
	// the database file. Zero means one second.
	LockTimeout time.Duration

	// CheckpointBytes is how often a long chunk without a checksum is
	// made durable and counted on the way (see WriteChunk). Zero means
	// DefaultCheckpoint. Tests lower it.
	CheckpointBytes int64
}

// DefaultCheckpoint is the default Options.CheckpointBytes. Checkpoints
// run in the background, one at a time, and a step that comes while one
// is running is skipped unless the chunk is maxLagSteps ahead: a crash
// mid-chunk loses at most 128 MiB and a block (see checkpointer).
const DefaultCheckpoint = 32 << 20

// BoltStore is the embedded [Store]: state in a bbolt file, ciphertext in
// files beside it. The layout under the data directory:
//
//	refuge.db                           bbolt: every record and the event log
//	uploads/<upload id>.part            uploads in progress, written in place
//	blobs/<submission id>.age           ciphertext of complete submissions
//	replies/<submission id>/<id>.age    officers' replies
//
// Directories are 0700 and files 0600. Open recovers from a crash: it
// truncates every part file to its recorded offset, puts back a completion
// that was cut between the rename and the commit, and removes every file
// that no record references. See docs/storage.md for the argument.
type BoltStore struct {
	dir        string
	db         *bolt.DB
	checkpoint int64
	gc         groupCommit // the commits of uploads: creation, chunks, completion
	now        func() time.Time
	bufs       sync.Pool // *[]byte of copyBufSize, one per running WriteChunk
	pipes      *pipes    // and a few more for long chunks (see blockWriter)

	// fsMu orders file creation and renames against the orphan sweep:
	// CreateUpload and Complete hold it shared from the moment a file
	// appears until its record is committed; the sweep holds it
	// exclusively, so it never sees a file whose record is on its way.
	fsMu sync.RWMutex

	mu      sync.Mutex
	writing map[string]bool // upload IDs with a WriteChunk, Complete or delete running
}

var _ Store = (*BoltStore)(nil)

const (
	// DBName is the database file in a data directory.
	DBName     = "refuge.db"
	uploadsDir = "uploads"
	blobsDir   = "blobs"
	repliesDir = "replies"
	// copyBufSize is the buffer a WriteChunk holds, whatever the chunk's
	// size (a few long chunks hold pipelineDepth more, see blockWriter):
	// 64 concurrent uploads hold 4 MiB. With 256 KiB they held 16 MiB,
	// and a fresh server's first 64 concurrent uploads of 1 MiB faulted
	// in twice the pages (3074 against 1622 minor faults, peak RSS 25
	// against 19 MiB, medians of eight); the throughput was the same
	// within the machine's noise.
	copyBufSize = 64 << 10
)

// Open opens (creating if needed) the store in dir, recovering from any
// crash of a previous process. dir and its subdirectories are made 0700.
//
// A database file that bbolt cannot safely open (CheckDB), another
// program's (ErrDBForeign), or its absence from a data directory that
// holds ciphertext (ErrDBMissing), is refused before anything is made or
// changed.
func Open(dir string, opts Options) (*BoltStore, error) {
	switch err := CheckDB(dir); {
	case errors.Is(err, fs.ErrNotExist):
		if holdsFiles(dir) {
			return nil, ErrDBMissing
		}
	case err != nil && !isDBError(err):
		return nil, fmt.Errorf("store: open database: %w", err)
	case err != nil:
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	timeout := opts.LockTimeout
	if timeout == 0 {
		timeout = time.Second
	}
	db, err := bolt.Open(filepath.Join(dir, DBName), 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, ErrInUse
	}
	if err != nil {
		return nil, fmt.Errorf("store: open database: %w", err)
	}
	// Before anything is made or changed: the folders below, the buckets.
	if err := checkOwnBuckets(db); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	for _, d := range []string{dir, filepath.Join(dir, uploadsDir), filepath.Join(dir, blobsDir), filepath.Join(dir, repliesDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, errors.Join(fmt.Errorf("store: create data directory: %w", err), db.Close())
		}
		if err := os.Chmod(d, 0o700); err != nil { // #nosec G302 -- a directory needs x; 0700 is owner only
			return nil, errors.Join(fmt.Errorf("store: restrict data directory: %w", err), db.Close())
		}
	}
	s := &BoltStore{
		dir:        dir,
		db:         db,
		checkpoint: opts.CheckpointBytes,
		now:        opts.Now,
		writing:    make(map[string]bool),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.checkpoint <= 0 {
		s.checkpoint = DefaultCheckpoint
	}
	// Make the directories and the database file's names durable: later
	// fsyncs of files inside them assume their directories exist.
	for _, d := range []string{filepath.Dir(filepath.Clean(dir)), dir} {
		if err := syncDir(d); err != nil {
			return nil, errors.Join(fmt.Errorf("store: sync data directory: %w", err), db.Close())
		}
	}
	s.gc.db = db
	s.bufs.New = func() any { b := make([]byte, copyBufSize); return &b }
	s.pipes = newPipes()
	if err := s.init(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := s.recover(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// Close releases the database. Safe to call once.
func (s *BoltStore) Close() error { return s.db.Close() }

func (s *BoltStore) today() Day { return DayOf(s.now()) }

// lock marks an upload as busy; false if another call holds it.
func (s *BoltStore) lock(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writing[id] {
		return false
	}
	s.writing[id] = true
	return true
}

func (s *BoltStore) unlock(id string) {
	s.mu.Lock()
	delete(s.writing, id)
	s.mu.Unlock()
}

func (s *BoltStore) partPath(id string) string {
	return filepath.Join(s.dir, uploadsDir, id+".part")
}

func (s *BoltStore) blobPath(id string) string {
	return filepath.Join(s.dir, blobsDir, id+".age")
}

func (s *BoltStore) replyDir(submissionID string) string {
	return filepath.Join(s.dir, repliesDir, submissionID)
}

func (s *BoltStore) replyPath(submissionID, replyID string) string {
	return filepath.Join(s.replyDir(submissionID), replyID+".age")
}
