package bundle

import "sync/atomic"

// Default limits applied by Open when the corresponding field of Options is
// zero.
const (
	DefaultMaxEntries    = 10000
	DefaultMaxTotalBytes = 64 << 30
)

// Limits on small entries that Open keeps in memory.
const (
	// MaxNoteShown bounds the note text returned in Result.Note; the whole
	// note.txt is still extracted.
	MaxNoteShown = 64 << 10
	// MaxSignatureSize bounds manifest.json.minisig.
	MaxSignatureSize = 16 << 10
)

// Options tunes Open. The zero value applies the defaults.
type Options struct {
	// MaxEntries is the largest number of tar entries accepted, every kind
	// counted (manifest.json included). Zero means DefaultMaxEntries.
	MaxEntries int
	// MaxTotalBytes is the largest sum of entry sizes accepted. Zero means
	// DefaultMaxTotalBytes.
	MaxTotalBytes int64
	// Kinds, if not empty, are the manifest kinds accepted (KindAnonymous,
	// KindReferral, KindReply): a bundle of another kind is refused with
	// ErrUnexpectedKind, and nothing of it is moved into place.
	Kinds []string
	// Progress, if not nil, is advanced by the number of ciphertext bytes
	// read so far, for a progress display that reads it on a ticker.
	Progress *atomic.Int64
}

func (o Options) withDefaults() Options {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = DefaultMaxTotalBytes
	}
	return o
}
