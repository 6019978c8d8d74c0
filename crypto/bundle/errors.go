package bundle

import "errors"

// Sentinel errors that callers may inspect with [errors.Is]. Errors returned by
// this package wrap them with a message saying what failed; no message ever
// contains a file name taken from a bundle.
var (
	// ErrNotPostQuantum means the bundle header holds a stanza that is not
	// "mlkem768x25519", or a recipient given to Seal is not post-quantum.
	ErrNotPostQuantum = errors.New("bundle is not encrypted with post-quantum keys")

	// ErrWrongKey means none of the given identities can decrypt the bundle.
	ErrWrongKey = errors.New("bundle is not encrypted to this key, or its header is damaged")

	// ErrDamaged means the age stream failed to authenticate: the bundle is
	// truncated, corrupted or was tampered with.
	ErrDamaged = errors.New("bundle is damaged, truncated or was tampered with")

	// ErrNotBundle means the bundle decrypted but is not a well-formed Refuge
	// bundle (no tar stream, no manifest.json, bad padding, ...).
	ErrNotBundle = errors.New("not a refuge bundle")

	// ErrUnsafeEntry means the bundle holds an entry that could harm the machine
	// opening it: a link, device, absolute or ".." path, duplicate name, ...
	ErrUnsafeEntry = errors.New("bundle holds an unsafe entry")

	// ErrLimit means the bundle exceeds a limit of [Options].
	ErrLimit = errors.New("bundle exceeds a limit")

	// ErrManifestMismatch means the entries do not match manifest.json.
	ErrManifestMismatch = errors.New("bundle entries do not match its manifest")

	// ErrUnexpectedKind means the bundle is well formed but of a kind
	// that [Options].Kinds does not accept (a reply where a submission is
	// expected).
	ErrUnexpectedKind = errors.New("bundle is not of a kind accepted here")

	// ErrAlreadyOpened means OUTDIR/<submission id> already exists: the bundle
	// was opened before, or it replays another submission's id.
	ErrAlreadyOpened = errors.New("submission already exists in the output directory")

	// ErrBadContents means the contents given to Seal are invalid.
	ErrBadContents = errors.New("invalid bundle contents")
)

// AlreadyOpenedError is the error Open returns, wrapping [ErrAlreadyOpened],
// when outDir/<submission id> exists. The bundle authenticated and matched
// its manifest; the fields say which submission and which ciphertext it
// is, so a caller can tell the same bundle opened before from another one
// for the same submission id.
type AlreadyOpenedError struct {
	SubmissionID     string
	CiphertextSHA256 [32]byte
}

func (e *AlreadyOpenedError) Error() string {
	return ErrAlreadyOpened.Error() + ": " + e.SubmissionID
}

func (e *AlreadyOpenedError) Unwrap() error { return ErrAlreadyOpened }
