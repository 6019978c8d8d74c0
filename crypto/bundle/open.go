package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"filippo.io/age"
)

// Result describes a bundle that Open verified and extracted.
type Result struct {
	// Dir is OUTDIR/<submission id>, where the entries now are.
	Dir string
	// Manifest is the parsed manifest.json; its fields are repeated below.
	Manifest *Manifest

	SubmissionID   string
	Kind           string
	Created        string // UTC day, "2006-01-02"
	Partner        string
	ReplyRecipient string
	Entries        []Entry // as listed in manifest.json, each verified

	// Note is the start of note.txt (at most MaxNoteShown bytes, invalid
	// UTF-8 replaced); NoteTruncated says whether there is more.
	Note          string
	NoteTruncated bool

	// ManifestJSON is the exact manifest.json, and Signature the exact
	// manifest.json.minisig or nil: the caller verifies the signature against
	// the partner keys of its verified key manifest.
	ManifestJSON []byte
	Signature    []byte

	// CiphertextSHA256 and CiphertextSize describe the whole age file read
	// from src, for acknowledgements.
	CiphertextSHA256 [32]byte
	CiphertextSize   int64
}

// HasSignature reports whether the bundle holds manifest.json.minisig.
func (r *Result) HasSignature() bool { return r.Signature != nil }

// Open decrypts the bundle read from src with identities, verifies it and
// extracts it to outDir/<submission id>/. outDir must exist. When src is
// an *os.File, what has been read of it leaves the page cache as Open goes
// (on Linux; the extracted files do too once on disk).
//
// Open refuses a header with any stanza that is not post-quantum
// ([ErrNotPostQuantum]), stages entries under outDir/.refuge-staging-<random>/
// and moves them into place only after the whole age stream authenticated
// (truncation is an error) and every entry matched manifest.json. It refuses
// unsafe entries ([ErrUnsafeEntry]), limits ([ErrLimit]), non-zero padding
// ([ErrNotBundle]), a kind opts.Kinds does not list ([ErrUnexpectedKind])
// and an existing outDir/<submission id>
// ([ErrAlreadyOpened], as an [*AlreadyOpenedError]). On any error the staging directory is removed and
// nothing else in outDir is changed.
func Open(src io.Reader, identities []age.Identity, outDir string, opts Options) (*Result, error) {
	if len(identities) == 0 {
		return nil, errors.New("no identity to decrypt with")
	}
	opts = opts.withDefaults()
	if f, ok := src.(*os.File); ok {
		src = NewReadBehind(f) // leaves the page cache as it goes
	}
	ct := &hashReader{r: src, h: newHasher(), progress: opts.Progress}
	defer ct.h.close()
	ar, err := age.Decrypt(ct, pqOnly(identities))
	if err != nil && ct.err != nil {
		return nil, fmt.Errorf("cannot read bundle: %w", ct.err)
	}
	if err != nil {
		return nil, decryptErr(err)
	}
	st, err := newStaging(outDir)
	if err != nil {
		return nil, err
	}
	defer st.cleanup()
	// Decryption, tar parsing and filling the sink's buffers share this
	// goroutine: age decrypts straight into those buffers (a read-ahead
	// goroutine here cost one more copy of every byte). The sink writes and
	// hashes them in another, and ct's hasher hashes the ciphertext in a
	// third.
	auth := &authReader{r: ar}

	x := &extractor{opts: opts, st: st, sink: newEntrySink(), names: newNameSet(), found: map[string]Entry{}}
	err = x.extract(auth)
	if err == nil {
		err = checkPadding(auth)
	}
	if err != nil {
		// Tell a damaged stream from a hostile but authentic one: read the
		// stream to its end (bounded by the input), then ask the age reader.
		io.Copy(io.Discard, auth)
		switch {
		case ct.err != nil:
			return nil, fmt.Errorf("cannot read bundle: %w", ct.err)
		case auth.err != nil:
			// age's message says "corrupted or tampered with" too.
			return nil, fmt.Errorf("%w: the encrypted data failed authentication", ErrDamaged)
		}
		return nil, err
	}
	m, err := x.verify()
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, ct); err != nil {
		return nil, fmt.Errorf("cannot read bundle: %w", err)
	}
	dir, err := st.commit(m.SubmissionID)
	if errors.Is(err, ErrAlreadyOpened) {
		return nil, &AlreadyOpenedError{SubmissionID: m.SubmissionID, CiphertextSHA256: ct.h.sum256()}
	}
	if err != nil {
		return nil, err
	}
	res := &Result{
		Dir: dir, Manifest: m,
		SubmissionID: m.SubmissionID, Kind: m.Kind, Created: m.Created,
		Partner: m.Partner, ReplyRecipient: m.ReplyRecipient, Entries: m.Entries,
		Note:          strings.ToValidUTF8(string(x.note), string(utf8.RuneError)),
		NoteTruncated: x.noteTruncated,
		ManifestJSON:  x.manifest, Signature: x.signature,
		CiphertextSize: ct.n,
	}
	res.CiphertextSHA256 = ct.h.sum256()
	return res, nil
}

func decryptErr(err error) error {
	var nm *age.NoIdentityMatchError
	switch {
	case errors.Is(err, ErrNotPostQuantum):
		return ErrNotPostQuantum
	case errors.As(err, &nm):
		return ErrWrongKey
	case strings.HasPrefix(err.Error(), "failed to read header"):
		// age's message quotes the offending header line: keep it short.
		return fmt.Errorf("%w: the age header is malformed or truncated", ErrDamaged)
	}
	return fmt.Errorf("%w: %v", ErrDamaged, err)
}

// checkPadding reads the rest of the plaintext after the tar end marker: it
// must be zeros up to the authenticated end of the age stream.
func checkPadding(r io.Reader) error {
	buf := make([]byte, 64<<10)
	zeros := make([]byte, len(buf))
	for {
		n, err := r.Read(buf)
		if !bytes.Equal(buf[:n], zeros[:n]) {
			return fmt.Errorf("%w: padding after the tar stream is not zero", ErrNotBundle)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// hashReader hashes and counts everything read through it.
type hashReader struct {
	r        io.Reader
	h        *hasher
	n        int64
	progress *atomic.Int64
	err      error // the first error reading r other than io.EOF
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if err != nil && err != io.EOF && h.err == nil {
		h.err = err
	}
	h.h.Write(p[:n])
	h.n += int64(n)
	if h.progress != nil {
		h.progress.Add(int64(n))
	}
	return n, err
}

// authReader records the first error of the age plaintext reader, which
// means the stream failed to authenticate or could not be read.
type authReader struct {
	r   io.Reader
	err error
}

func (a *authReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && err != io.EOF && a.err == nil {
		a.err = err
	}
	return n, err
}

// extractor reads the tar stream and stages its entries.
type extractor struct {
	opts  Options
	st    *staging
	sink  *entrySink
	names *nameSet
	found map[string]Entry
	count int
	total int64

	manifest, signature []byte
	note                []byte
	noteTruncated       bool
}

func (x *extractor) extract(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: tar stream is malformed: %v", ErrNotBundle, err)
		}
		if x.count++; x.count > x.opts.MaxEntries {
			return fmt.Errorf("%w: more than %d entries", ErrLimit, x.opts.MaxEntries)
		}
		if err := x.entry(tr, hdr); err != nil {
			return err
		}
	}
	if x.manifest == nil {
		return fmt.Errorf("%w: manifest.json is missing", ErrNotBundle)
	}
	return nil
}

func (x *extractor) entry(tr *tar.Reader, hdr *tar.Header) error {
	switch hdr.Typeflag {
	case tar.TypeReg, '\x00':
	case tar.TypeDir:
		// Folders are created as files need them; a folder entry must still
		// have a safe name.
		if err := checkEntryName(strings.TrimSuffix(hdr.Name, "/")); err != nil || x.manifest != nil {
			return fmt.Errorf("%w: folder entry: %v", ErrUnsafeEntry, orAfterManifest(err))
		}
		return nil
	default:
		return fmt.Errorf("%w: %s entry (only regular files are allowed)", ErrUnsafeEntry, typeName(hdr.Typeflag))
	}
	if isSparse(hdr) {
		// A sparse entry expands a few stored bytes into many: a size bomb.
		return fmt.Errorf("%w: sparse file entry", ErrUnsafeEntry)
	}
	// Compared before adding: a size near the int64 maximum (a PAX or
	// base-256 size field can declare one) would wrap the sum negative and
	// let the entry, and every entry after it, through.
	if hdr.Size > x.opts.MaxTotalBytes-x.total {
		return fmt.Errorf("%w: entries larger than %d bytes in total", ErrLimit, x.opts.MaxTotalBytes)
	}
	x.total += hdr.Size
	switch hdr.Name {
	case manifestName:
		if x.manifest != nil {
			return fmt.Errorf("%w: manifest.json appears twice", ErrUnsafeEntry)
		}
		data, err := x.small(tr, hdr, MaxManifestSize)
		x.manifest = data
		return err
	case signatureName:
		if x.manifest == nil || x.signature != nil {
			return fmt.Errorf("%w: manifest.json.minisig must appear once, after manifest.json", ErrNotBundle)
		}
		data, err := x.small(tr, hdr, MaxSignatureSize)
		x.signature = data
		return err
	}
	if err := checkEntryName(hdr.Name); err != nil {
		return fmt.Errorf("%w: %v", ErrUnsafeEntry, err)
	}
	if x.manifest != nil {
		return fmt.Errorf("%w: an entry follows manifest.json", ErrNotBundle)
	}
	if err := x.names.add(hdr.Name); errors.Is(err, errTooManyFolders) {
		return fmt.Errorf("%w: %v", ErrLimit, err)
	} else if err != nil {
		return fmt.Errorf("%w: %v", ErrUnsafeEntry, err)
	}
	return x.file(tr, hdr)
}

// isSparse reports whether a PAX header describes a GNU sparse file, which
// archive/tar expands transparently.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func orAfterManifest(err error) error {
	if err == nil {
		return errors.New("follows manifest.json")
	}
	return err
}

// small reads an entry of at most max bytes into memory and stages it.
func (x *extractor) small(tr *tar.Reader, hdr *tar.Header, max int64) ([]byte, error) {
	if hdr.Size > max {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrNotBundle, hdr.Name, max)
	}
	data := make([]byte, hdr.Size)
	if _, err := io.ReadFull(tr, data); err != nil {
		return nil, fmt.Errorf("%w: cannot read %s: %v", ErrNotBundle, hdr.Name, err)
	}
	f, err := x.st.create(hdr.Name)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot write entry: %w", err)
	}
	return data, closeFile(f)
}

// file streams a regular entry into the staging directory, hashing it.
func (x *extractor) file(tr *tar.Reader, hdr *tar.Header) error {
	f, err := x.st.create(hdr.Name)
	if err != nil {
		return err
	}
	var nc *noteCapture
	var extra io.Writer
	if hdr.Name == noteName {
		nc = &noteCapture{}
		extra = nc
	}
	n, sum, err := x.sink.copy(f, tr, extra)
	if err != nil {
		f.Close()
		return writeErr(err)
	}
	if err := closeFile(f); err != nil {
		return err
	}
	if nc != nil {
		x.note, x.noteTruncated = nc.buf.Bytes(), nc.truncated
	}
	x.found[hdr.Name] = Entry{Name: hdr.Name, Size: n, SHA256: sum}
	return nil
}

// closeFile closes a staged file; staging.commit syncs them all at once.
func closeFile(f *os.File) error {
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write entry: %w", stageErr(err))
	}
	return nil
}

// noteCapture keeps the first MaxNoteShown bytes written to it.
type noteCapture struct {
	buf       bytes.Buffer
	truncated bool
}

func (c *noteCapture) Write(p []byte) (int, error) {
	room := MaxNoteShown - c.buf.Len()
	if len(p) > room {
		c.truncated = true
		c.buf.Write(p[:room])
	} else {
		c.buf.Write(p)
	}
	return len(p), nil
}

// verify parses manifest.json and checks that it lists exactly the staged
// entries with their sizes and hashes.
func (x *extractor) verify() (*Manifest, error) {
	m, err := ParseManifest(x.manifest)
	if err != nil {
		return nil, err
	}
	if len(x.opts.Kinds) > 0 && !slices.Contains(x.opts.Kinds, m.Kind) {
		return nil, fmt.Errorf("%w: it is of kind %q, not %s", ErrUnexpectedKind, m.Kind, strings.Join(x.opts.Kinds, " or "))
	}
	if len(m.Entries) != len(x.found) {
		return nil, fmt.Errorf("%w: manifest.json lists %d entries, the bundle holds %d", ErrManifestMismatch, len(m.Entries), len(x.found))
	}
	for i, e := range m.Entries {
		got, ok := x.found[e.Name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: entry %d of manifest.json is missing from the bundle", ErrManifestMismatch, i)
		case got.Size != e.Size:
			return nil, fmt.Errorf("%w: entry %d has %d bytes, manifest.json says %d", ErrManifestMismatch, i, got.Size, e.Size)
		case got.SHA256 != e.SHA256:
			return nil, fmt.Errorf("%w: entry %d does not match its SHA-256 in manifest.json", ErrManifestMismatch, i)
		}
	}
	return m, nil
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "fifo"
	case tar.TypeCont:
		return "contiguous file"
	case tar.TypeGNUSparse:
		return "sparse file"
	}
	return fmt.Sprintf("type %q", t)
}
