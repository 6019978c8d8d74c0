package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// The database file is checked before bbolt opens it. bbolt makes a new
// database in a file of 0 bytes, follows a symbolic link (and creates the
// file it points to), writes into a named pipe, and crashes (SIGBUS) on a
// copy cut short, reading pages its header names beyond the end. A new
// database would then be swept by recover: every ciphertext file the
// lost records referenced would be removed as unknown. So Open refuses
// such a file, and a data directory that holds ciphertext but no
// database, before it makes or changes anything.

// Errors of CheckDB and Open about the database file. Each says what is
// wrong with the file, never what it holds.
var (
	// ErrDBEmpty: the file holds 0 bytes.
	ErrDBEmpty = errors.New("store: the database file is empty")
	// ErrDBLink: the file is a symbolic link.
	ErrDBLink = errors.New("store: the database file is a symbolic link")
	// ErrDBNotFile: a folder, named pipe, socket or device.
	ErrDBNotFile = errors.New("store: the database file is not a regular file")
	// ErrDBNotBolt: the file does not begin as a bbolt database.
	ErrDBNotBolt = errors.New("store: the database file is not a bbolt database")
	// ErrDBDamaged: it begins as one, but neither of its two headers
	// (meta pages) checks out, or they are of another bbolt version.
	ErrDBDamaged = errors.New("store: the database file is damaged")
	// ErrDBCut: the file is shorter than its header says it is.
	ErrDBCut = errors.New("store: the database file is cut short")
	// ErrDBForeign: a sound bbolt database, but one that holds buckets
	// Refuge never makes: another program's.
	ErrDBForeign = errors.New("store: the database file holds another program's data")
	// ErrDBMissing: the data directory holds ciphertext but no database.
	ErrDBMissing = errors.New("store: the data directory holds ciphertext but no database file")
)

// DBCutError is the ErrDBCut of a file of Size bytes whose header says it
// holds at least Need.
type DBCutError struct{ Size, Need int64 }

func (e *DBCutError) Error() string {
	return fmt.Sprintf("%v: %d bytes, its header says at least %d", ErrDBCut, e.Size, e.Need)
}

func (e *DBCutError) Is(target error) bool { return target == ErrDBCut }

// bbolt's on-disk header (go.etcd.io/bbolt/internal/common): each of the
// first two pages holds a 16-byte page header and a meta, in the byte
// order of the machine that wrote it, checked by an FNV-64a sum of the
// meta's first 56 bytes.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSum    = 56 // offset of the checksum in the meta
	boltMetaSize   = boltMetaSum + 8
	minPageSize    = 1 << 10
	maxPageSize    = 1 << 24 // the largest bbolt looks for
)

// boltMeta is what CheckDB reads of a meta page.
type boltMeta struct {
	pageSize       int64
	root, freelist uint64
	pgid, txid     uint64
}

// CheckDB looks at the database file of the data directory dir, refuge.db,
// and returns nil if bbolt can open it safely: a regular file (not a
// link), not empty, with a valid bbolt header, as long as the header says.
// Otherwise it returns one of the ErrDB errors, an error that wraps
// fs.ErrNotExist when there is none, or the error reading it (such as one
// that wraps fs.ErrPermission). It only reads the file's first pages: a
// running server may hold it, and this does not disturb it.
func CheckDB(dir string) error {
	path := filepath.Join(dir, DBName)
	li, err := os.Lstat(path)
	switch {
	case err != nil:
		return err
	case li.Mode()&fs.ModeSymlink != 0:
		return ErrDBLink
	case !li.Mode().IsRegular():
		return ErrDBNotFile
	}
	f, err := os.Open(path) // #nosec G304 -- the data directory the operator gave
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !os.SameFile(li, fi) {
		return ErrDBLink // replaced by something else between the two looks
	}
	return checkBolt(f, fi.Size())
}

// checkBolt checks the bbolt header of the file f of size bytes, as bbolt
// finds it: the first meta page, else the second at each page size bbolt
// tries; of two valid ones, the later transaction's.
func checkBolt(f io.ReaderAt, size int64) error {
	if size == 0 {
		return ErrDBEmpty
	}
	m0, err0 := readMeta(f, 0, size)
	var m *boltMeta
	if err0 == nil {
		m = m0
		if m1, err := readMeta(f, m0.pageSize, size); err == nil && m1.txid > m0.txid {
			m = m1
		}
	} else {
		for ps := int64(minPageSize); ps <= maxPageSize && ps < size; ps <<= 1 {
			if m1, err := readMeta(f, ps, size); err == nil && m1.pageSize == ps {
				m = m1
				break
			}
		}
	}
	if m == nil {
		return err0
	}
	if m.pgid < 2 || m.root >= m.pgid || m.freelist >= m.pgid && m.freelist != ^uint64(0) {
		return ErrDBDamaged
	}
	ps := uint64(m.pageSize)      // #nosec G115 -- readMeta checked it: 1 KiB to 16 MiB
	if m.pgid > uint64(size)/ps { // #nosec G115 -- a file's size is not negative
		need := int64(math.MaxInt64)
		if m.pgid <= math.MaxInt64/ps {
			need = int64(m.pgid * ps) // #nosec G115 -- checked just above
		}
		return &DBCutError{Size: size, Need: need}
	}
	return nil
}

// readMeta reads and checks the meta page at off of a file of size bytes:
// ErrDBNotBolt if it does not hold bbolt's mark, ErrDBCut if the file ends
// inside it, ErrDBDamaged if it is of another version or its sum is wrong.
func readMeta(f io.ReaderAt, off, size int64) (*boltMeta, error) {
	var b [boltPageHeader + boltMetaSize]byte
	n, err := f.ReadAt(b[:], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	e := binary.NativeEndian
	meta := b[boltPageHeader:]
	switch {
	case n < boltPageHeader+4 || e.Uint32(meta) != boltMagic:
		return nil, ErrDBNotBolt
	case n < len(b):
		return nil, &DBCutError{Size: size, Need: off + int64(len(b))}
	case e.Uint32(meta[4:]) != boltVersion:
		return nil, ErrDBDamaged
	}
	h := fnv.New64a()
	h.Write(meta[:boltMetaSum])
	if h.Sum64() != e.Uint64(meta[boltMetaSum:]) {
		return nil, ErrDBDamaged
	}
	m := &boltMeta{
		pageSize: int64(e.Uint32(meta[8:])),
		root:     e.Uint64(meta[16:]),
		freelist: e.Uint64(meta[32:]),
		pgid:     e.Uint64(meta[40:]),
		txid:     e.Uint64(meta[48:]),
	}
	if m.pageSize < minPageSize || m.pageSize > maxPageSize || m.pageSize&(m.pageSize-1) != 0 {
		return nil, ErrDBDamaged
	}
	return m, nil
}

// isDBError tells whether err is one of CheckDB's own errors about the
// file, which already begin "store: ".
func isDBError(err error) bool {
	for _, e := range []error{ErrDBEmpty, ErrDBLink, ErrDBNotFile, ErrDBNotBolt, ErrDBDamaged, ErrDBCut} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// holdsFiles tells whether any of the folders of dir that hold ciphertext
// (uploads, blobs, replies) has an entry.
func holdsFiles(dir string) bool {
	for _, d := range []string{uploadsDir, blobsDir, repliesDir} {
		f, err := os.Open(filepath.Join(dir, d)) // #nosec G304 -- a folder of the data directory
		if err != nil {
			continue
		}
		names, _ := f.Readdirnames(1)
		f.Close()
		if len(names) > 0 {
			return true
		}
	}
	return false
}
