package bundle

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"filippo.io/age"
)

// MaxNoteSize bounds the note and the referral that Seal accepts.
const MaxNoteSize = 1 << 20

// File is one of the sender's files to seal.
type File struct {
	// Name is the path inside the bundle relative to files/, with forward
	// slashes, for example "evidence/photo.jpg".
	Name string
	// Size is the exact number of bytes Open will yield; Seal fails if the
	// file turns out shorter or longer.
	Size int64
	// Open returns the content. Seal calls it once, reads Size bytes and
	// closes it.
	Open func() (io.ReadCloser, error)
}

// Contents is what Seal puts into a bundle.
type Contents struct {
	Files    []File // sender's files, stored under files/ in this order
	Note     []byte // optional UTF-8 text, stored as note.txt
	Referral []byte // optional JSON, stored as referral.json

	SubmissionID   string // 32 lowercase hex characters (see crypto/receipt)
	ReplyRecipient string // the submitter's age1pq1 reply recipient, may be empty
	Kind           string // KindAnonymous, KindReferral or KindReply
	Partner        string // partner name for KindReferral, else empty

	// Created is the submission time; only its UTC day is recorded. The zero
	// value means now.
	Created time.Time

	// Sign, if not nil, signs the exact manifest.json bytes; the result is
	// stored as manifest.json.minisig (a partner's minisign signature).
	Sign func(manifestJSON []byte) ([]byte, error)

	// Progress, if not nil, is advanced by the number of plaintext bytes
	// written so far, for a progress display that reads it on a ticker.
	Progress *atomic.Int64
}

// Seal writes a bundle holding c to dst, encrypted to recipients, which must
// all be [*age.HybridRecipient]. It streams: file contents are never held in
// memory. It returns the manifest it wrote. On error, dst holds a partial
// bundle that the caller must discard (see [CreateOutput]).
func Seal(dst io.Writer, recipients []age.Recipient, c Contents) (*Manifest, error) {
	if err := checkRecipients(recipients); err != nil {
		return nil, err
	}
	m, err := c.manifest()
	if err != nil {
		return nil, err
	}
	aw, err := age.Encrypt(dst, recipients...)
	if err != nil {
		return nil, fmt.Errorf("cannot start encryption: %w", err)
	}
	cw := &countWriter{w: aw, progress: c.Progress}
	if err := writeTar(cw, c, m, false); err != nil {
		return nil, err
	}
	if err := writeZeros(cw, PaddedSize(cw.n)-cw.n); err != nil {
		return nil, fmt.Errorf("cannot write padding: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("cannot finish encryption: %w", err)
	}
	return m, nil
}

func checkRecipients(recipients []age.Recipient) error {
	if len(recipients) == 0 {
		return errors.New("no recipients to encrypt to")
	}
	for _, r := range recipients {
		if _, ok := r.(*age.HybridRecipient); !ok || r == (*age.HybridRecipient)(nil) {
			return fmt.Errorf("%w: every recipient must be an age1pq1 key", ErrNotPostQuantum)
		}
	}
	return nil
}

// manifest checks c and returns its manifest without entries.
func (c *Contents) manifest() (*Manifest, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBadContents, fmt.Sprintf(format, a...))
	}
	created := c.Created
	if created.IsZero() {
		created = time.Now()
	}
	m := &Manifest{
		Format:         ManifestFormat,
		Kind:           c.Kind,
		Created:        created.UTC().Format(dayLayout),
		SubmissionID:   c.SubmissionID,
		ReplyRecipient: c.ReplyRecipient,
		Partner:        c.Partner,
		Entries:        []Entry{},
	}
	if err := m.check(); err != nil {
		return nil, bad("%v", err)
	}
	// What Seal writes, Open accepts with its default limits: leave room for
	// note.txt, referral.json, manifest.json and its signature.
	if len(c.Files) > DefaultMaxEntries-4 {
		return nil, bad("more than %d files", DefaultMaxEntries-4)
	}
	var total int64
	names := newNameSet()
	for _, f := range c.Files {
		if err := checkFileName(f.Name); err != nil {
			return nil, bad("file %q: %v", f.Name, err)
		}
		if err := names.add(filesPrefix + f.Name); err != nil {
			return nil, bad("file %q: %v", f.Name, err)
		}
		if f.Size < 0 || f.Open == nil {
			return nil, bad("file %q: negative size or no opener", f.Name)
		}
		if total += f.Size; total > DefaultMaxTotalBytes-2*MaxNoteSize-MaxManifestSize-MaxSignatureSize {
			return nil, bad("files larger than %d GiB in total", DefaultMaxTotalBytes>>30)
		}
	}
	if len(c.Note) > MaxNoteSize || !utf8.Valid(c.Note) {
		return nil, bad("note must be UTF-8 text of at most %d MiB", MaxNoteSize>>20)
	}
	if c.Referral != nil && (len(c.Referral) > MaxNoteSize || !json.Valid(c.Referral)) {
		return nil, bad("referral must be JSON of at most %d MiB", MaxNoteSize>>20)
	}
	return m, nil
}

// SealedSize returns the exact size of the bundle that Seal(dst, recipients,
// c) will write, without reading the files: the tar layout depends only on
// names, sizes, the note, the referral and the signature's length, and age
// adds a fixed header and 16 bytes per 64 KiB chunk. A sender can thus
// announce the length of an upload before the first byte is sealed, and
// seal while it uploads.
//
// c.Created must be set (the day is part of manifest.json), and c.Sign, if
// any, must give signatures of one length for manifests of one length (as
// minisign does): SealedSize signs a stand-in manifest to learn it.
func SealedSize(recipients []age.Recipient, c Contents) (int64, error) {
	if c.Created.IsZero() {
		return 0, fmt.Errorf("%w: SealedSize needs Contents.Created", ErrBadContents)
	}
	if err := checkRecipients(recipients); err != nil {
		return 0, err
	}
	m, err := c.manifest()
	if err != nil {
		return 0, err
	}
	var tw countWriter
	c.Progress = nil
	if err := writeTar(&tw, c, m, true); err != nil {
		return 0, err
	}
	var hdr countWriter
	if _, err := age.Encrypt(&hdr, recipients...); err != nil { // header and nonce
		return 0, fmt.Errorf("cannot start encryption: %w", err)
	}
	padded := PaddedSize(tw.n) // at least 64 KiB: never the empty stream
	chunks := (padded + ageChunk - 1) / ageChunk
	return hdr.n + padded + chunks*ageTag, nil
}

// The age payload: 64 KiB chunks of plaintext, each followed by a 16-byte
// Poly1305 tag; a last chunk may be full.
const (
	ageChunk = 64 << 10
	ageTag   = 16
)

// writeTar writes every entry, manifest.json (and its signature) and the tar
// end marker, filling m.Entries on the way. A dry run (for SealedSize)
// writes zeros for the files' contents without opening them, and stand-in
// hashes of the real length.
func writeTar(w io.Writer, c Contents, m *Manifest, dry bool) error {
	tw := tar.NewWriter(w)
	mtime, _ := time.Parse(dayLayout, m.Created)
	buf := make([]byte, 256<<10)
	for _, f := range c.Files {
		write := writeFile
		if dry {
			write = writeStandIn
		}
		e, err := write(tw, f, mtime, buf)
		if err != nil {
			return err
		}
		m.Entries = append(m.Entries, e)
	}
	for _, x := range []struct {
		name string
		data []byte
	}{{noteName, c.Note}, {referralName, c.Referral}} {
		if len(x.data) == 0 {
			continue
		}
		sum := sha256.Sum256(x.data)
		m.Entries = append(m.Entries, Entry{Name: x.name, Size: int64(len(x.data)), SHA256: hexSum(sum[:])})
		if err := writeBytes(tw, x.name, x.data, mtime); err != nil {
			return err
		}
	}
	mj, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("cannot encode manifest.json: %w", err)
	}
	if err := writeBytes(tw, manifestName, mj, mtime); err != nil {
		return err
	}
	if c.Sign != nil {
		sig, err := c.Sign(mj)
		if err != nil {
			return fmt.Errorf("cannot sign manifest.json: %w", err)
		}
		if err := writeBytes(tw, signatureName, sig, mtime); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("cannot finish tar stream: %w", err)
	}
	return nil
}

func header(name string, size int64, mtime time.Time) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: mtime}
}

func writeBytes(tw *tar.Writer, name string, data []byte, mtime time.Time) error {
	if err := tw.WriteHeader(header(name, int64(len(data)), mtime)); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	return nil
}

// writeFile copies exactly f.Size bytes of f into the tar stream, hashing
// them on the way.
func writeFile(tw *tar.Writer, f File, mtime time.Time, buf []byte) (Entry, error) {
	name := filesPrefix + f.Name
	rc, err := f.Open()
	if err != nil {
		return Entry{}, fmt.Errorf("cannot open %q: %w", f.Name, err)
	}
	defer rc.Close()
	if err := tw.WriteHeader(header(name, f.Size, mtime)); err != nil {
		return Entry{}, fmt.Errorf("cannot write %q: %w", f.Name, err)
	}
	h := newHasher()
	n, err := h.tee(tw, io.LimitReader(rc, f.Size))
	if err != nil {
		h.close()
		return Entry{}, fmt.Errorf("cannot seal %q: %w", f.Name, err)
	}
	sum := h.sum()
	if n != f.Size {
		return Entry{}, fmt.Errorf("cannot seal %q: file shrank while sealing", f.Name)
	}
	if k, _ := rc.Read(buf[:1]); k != 0 {
		return Entry{}, fmt.Errorf("cannot seal %q: file grew while sealing", f.Name)
	}
	if err := rc.Close(); err != nil {
		return Entry{}, fmt.Errorf("cannot read %q: %w", f.Name, err)
	}
	return Entry{Name: name, Size: f.Size, SHA256: sum}, nil
}

// writeStandIn writes f's header and f.Size zero bytes (for SealedSize).
func writeStandIn(tw *tar.Writer, f File, mtime time.Time, buf []byte) (Entry, error) {
	name := filesPrefix + f.Name
	if err := tw.WriteHeader(header(name, f.Size, mtime)); err != nil {
		return Entry{}, fmt.Errorf("cannot write %q: %w", f.Name, err)
	}
	clear(buf)
	for n := f.Size; n > 0; {
		k, err := tw.Write(buf[:min(n, int64(len(buf)))])
		if err != nil {
			return Entry{}, fmt.Errorf("cannot write %q: %w", f.Name, err)
		}
		n -= int64(k)
	}
	return Entry{Name: name, Size: f.Size, SHA256: strings.Repeat("0", sha256.Size*2)}, nil
}

// countWriter counts what goes through it to w, or only counts if w is nil.
type countWriter struct {
	w        io.Writer
	n        int64
	progress *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := len(p), error(nil)
	if c.w != nil {
		n, err = c.w.Write(p)
	}
	c.n += int64(n)
	if c.progress != nil {
		c.progress.Add(int64(n))
	}
	return n, err
}

func writeZeros(w io.Writer, n int64) error {
	zeros := make([]byte, min(n, 64<<10))
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
