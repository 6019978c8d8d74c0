// Package store keeps everything refuge-server remembers: uploads in
// progress, finished submissions and their ciphertext, officers' replies,
// partner and courier tokens, the signed key manifest and the hash-chained
// event log.
//
// # What is stored
//
// Only ciphertext, random identifiers, SHA-256 verifiers of bearer tokens,
// partner and courier names, and dates at day granularity. Never a file name,
// a receipt phrase, an IP address, a user agent or a precise time.
//
// # Durability
//
// Every method that returns nil has made its effect durable: a crash
// (kill -9, power loss) after the return loses nothing it acknowledged.
// A crash during a call leaves the store as it was before the call, or,
// for [Store.WriteChunk], with the upload's offset at its old value.
//
// Ciphertext bytes live in files beside the bbolt database (see
// [Open]); bbolt holds the state and references them. See
// docs/storage.md for why.
package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"time"
)

// Errors that callers inspect with errors.Is. They carry no secret and no
// identifier, so they may be shown to a client as they are.
var (
	ErrNotFound       = errors.New("not found")
	ErrExists         = errors.New("already exists")
	ErrOffsetMismatch = errors.New("offset does not match the upload's current offset")
	ErrTooLarge       = errors.New("data goes past the declared upload length")
	ErrChecksum       = errors.New("checksum of the received data does not match")
	ErrLocked         = errors.New("another request is writing to this upload")
	ErrIncomplete     = errors.New("upload is not complete")
	ErrRejected       = errors.New("upload content was rejected")
	ErrBadState       = errors.New("not allowed in the current state")
	// ErrRevoked is returned together with ErrRejected (errors.Is
	// matches both) when a completion finds that the token that created
	// the upload is no longer active: the upload is deleted.
	ErrRevoked = errors.New("the token that created the upload is no longer active")
	// ErrUndecided wraps the error of a completion that could not be
	// decided either way: a record the store could not read, the part
	// file not readable, or a check that says so by returning an error
	// that wraps ErrUndecided. The upload is kept exactly as it was,
	// fully received, and completing it again may succeed.
	ErrUndecided = errors.New("the completion could not be decided; the upload is kept")
	// ErrInUse is Open's error when another process (a running server)
	// holds the database.
	ErrInUse = errors.New("store: the database is in use by another process")
	// ErrGone is returned together with ErrNotFound (errors.Is matches
	// both) for an upload that has expired and for the ciphertext of a
	// submission that officers acknowledged and the store deleted, so a
	// server can answer 410 instead of 404.
	ErrGone = errors.New("expired or deleted")
	// ErrInvalid wraps a refused argument: a malformed identifier, a
	// negative length, an unknown kind, role or checksum algorithm. The
	// wrapping message says which; nothing is changed.
	ErrInvalid = errors.New("invalid argument")
)

// Day is a calendar date in UTC, the finest time the store keeps.
type Day string // "2006-01-02"

// DayOf returns the UTC day of t.
func DayOf(t time.Time) Day { return Day(t.UTC().Format("2006-01-02")) }

// Kind says who sent an upload and what it becomes when complete.
type Kind string

const (
	KindAnonymous Kind = "anonymous" // a defender's own submission
	KindRelay     Kind = "relay"     // a bundle sealed offline, relayed by a partner
	KindReferral  Kind = "referral"  // a partner's own signed referral
	KindReply     Kind = "reply"     // an officer's reply, pushed by a courier
)

// Status is a submission's state as its submitter sees it. Deleted is
// final: a reply to a deleted submission keeps it deleted (its Replies
// show the reply).
type Status string

const (
	StatusReceived  Status = "received"  // stored, not yet pulled by a courier
	StatusCollected Status = "collected" // pulled by a courier at least once
	StatusReplied   Status = "replied"   // at least one reply is waiting
	StatusDeleted   Status = "deleted"   // acknowledged by officers; ciphertext gone
)

// Upload is a resumable upload in progress (tus 1.0).
type Upload struct {
	ID      string // 32 lowercase hex chars (128 random bits); chosen by the caller
	Length  int64  // total length declared at creation
	Offset  int64  // bytes durably received
	Created Day
	Expires Day // the upload is collected on this day or after

	Kind         Kind
	SubmissionID string   // for KindReply: the submission replied to
	Verifier     [32]byte // SHA-256 of the submitter's access token (zero for replies)
	Partner      string   // the partner that relayed or referred, if any
	Courier      string   // the courier that uploads a reply (none in records older than this field)
	// CreatorToken is the verifier of the partner's or courier's token
	// that created the upload: a name may have had other tokens, and
	// only this one may go on with it. Zero for anonymous uploads and in
	// records older than this field.
	CreatorToken [32]byte
}

// Submission is a completed upload that officers have not yet acknowledged.
type Submission struct {
	ID       string
	Kind     Kind
	Verifier [32]byte
	Partner  string
	Received Day
	Status   Status
	Size     int64             // ciphertext length
	SHA256   [sha256.Size]byte // of the stored ciphertext
	Replies  []Reply           // newest last
}

// Reply is an officer's answer to a submission: an opaque age file.
type Reply struct {
	ID      string
	Size    int64
	SHA256  [sha256.Size]byte
	Created Day
}

// Role is what a bearer token allows.
type Role string

const (
	RolePartner Role = "partner"
	RoleCourier Role = "courier"
)

// Token is a partner's or courier's credential. Only its verifier is kept.
type Token struct {
	Name     string
	Role     Role
	Verifier [32]byte // SHA-256 of the token
	Created  Day
	Revoked  bool
}

// EventType names what happened to a submission.
type EventType string

const (
	EventCreated   EventType = "created"
	EventCompleted EventType = "completed"
	EventCollected EventType = "collected"
	EventReplied   EventType = "replied"
	EventDeleted   EventType = "deleted"
)

// Event is one entry of the append-only, hash-chained event log.
// Hash = SHA-256 of the canonical encoding of every other field, the line
// [EventLine] returns (see docs/events.md); Prev is the Hash of the entry
// before (zero for the first). [VerifyEvents] checks a run of entries.
type Event struct {
	Seq          uint64
	Day          Day
	Type         EventType
	SubmissionID string
	SHA256       [sha256.Size]byte // ciphertext hash where known, else zero
	Prev         [sha256.Size]byte
	Hash         [sha256.Size]byte
}

// Checksum is a tus Upload-Checksum: the algorithm ("sha256" or "sha1")
// and the expected digest of one PATCH body.
type Checksum struct {
	Algorithm string
	Digest    []byte
}

// Store is the server's whole persistent state. Implementations are safe
// for concurrent use. [BoltStore] is the embedded implementation; every
// implementation must pass the suite in storetest.
type Store interface {
	// CreateUpload records a new, empty upload and reserves its
	// SubmissionID (for every kind but KindReply): ErrExists if the
	// upload ID or the submission ID is taken. An upload that has expired
	// no longer holds its submission ID, though it stays until
	// ExpireUploads removes it. For KindReply the
	// submission must exist (ErrNotFound); it may be deleted (officers
	// may answer after acknowledging). ErrInvalid for a malformed ID,
	// a negative length, a non-zero Offset, an unknown kind, a bad day
	// or partner name, a CreatorToken without a Partner or Courier.
	// An empty Created means today. It appends no event: an upload
	// that never completes leaves nothing in the log.
	CreateUpload(ctx context.Context, u Upload) error

	// Upload returns the upload's current state, ErrNotFound if there is
	// none or it has expired.
	Upload(ctx context.Context, id string) (Upload, error)

	// WriteChunk appends the bytes of r at offset, which must equal the
	// upload's current offset (ErrOffsetMismatch). Reading stops at the
	// declared length: more bytes give ErrTooLarge and nothing is kept
	// (but see checkpoints below).
	// If sum is not nil the chunk is kept only if it matches
	// (ErrChecksum). Only one WriteChunk runs per upload at a time;
	// another gets ErrLocked. If r fails part way (a cut connection),
	// the bytes received so far are kept, made durable, and counted, and
	// the read error is returned along with the new offset; but with a
	// checksum a partial chunk cannot be verified and is dropped. The
	// returned offset is durable when WriteChunk returns; with
	// ErrOffsetMismatch, ErrTooLarge, ErrChecksum or a read error it is
	// the upload's current offset (with other errors, 0: ask Upload).
	// ErrInvalid for a checksum algorithm other than sha256 and sha1.
	// An implementation may commit a long chunk without a checksum in
	// steps (checkpoints), each durable and visible through Upload, so a
	// crash mid-chunk loses at most a few steps; bytes up to the last
	// checkpoint then stay even if the chunk later fails or overflows.
	WriteChunk(ctx context.Context, id string, offset int64, r io.Reader, sum *Checksum) (int64, error)

	// Complete turns a fully received upload into a submission, or into a
	// reply to its submission. check reads the ciphertext from its start
	// and returns an error to reject it (ErrRejected wraps that error and
	// the upload is deleted), or an error wrapping ErrUndecided to leave
	// it as it is (then Complete returns that error). ErrIncomplete if
	// offset < length.
	//
	// An upload that names a partner or a courier completes only if, in
	// the very transaction that commits it, the token that created it
	// (CreatorToken) is still that name's active token; an upload without
	// CreatorToken (recorded before the field existed) only if its name
	// has had one token and it is active. Otherwise the upload is deleted
	// and the error is ErrRejected and ErrRevoked. If the store cannot
	// tell (it cannot read the token record), or cannot read the part
	// file for check, the error wraps ErrUndecided and the upload is kept
	// as it was: nothing is deleted and a later Complete may succeed.
	//
	// Appends EventCreated (dated the day the upload was created) and
	// EventCompleted, or EventReplied for a reply, to the log. For a reply
	// it returns the submission replied to, with the new reply last.
	Complete(ctx context.Context, id string, check func(ciphertext io.Reader) error) (Submission, error)

	// CreatorActive tells whether the token that created u may still go
	// on with it, by Complete's rule above: nil if it may (and for an
	// anonymous upload), ErrRevoked if not, an error wrapping
	// ErrUndecided if the store cannot tell.
	CreatorActive(ctx context.Context, u Upload) error

	// WriteLastChunk is WriteChunk followed, if the chunk brings the
	// upload to its declared length, by Complete with check, in one
	// commit: the full offset is never recorded by itself, the upload
	// becomes its submission (or reply) at once. A chunk that stops
	// short is kept and committed as WriteChunk does. When it returns
	// the upload's length and no error, the upload is complete; errors
	// are those of WriteChunk and Complete (ErrRejected: the upload is
	// deleted). With ErrUndecided the chunk is kept: the upload is
	// recorded fully received, not completed, and the returned offset is
	// its length (or, if even that commit failed, the offset before the
	// chunk, as after any failed chunk); Complete may finish it later.
	// It saves a commit and a directory fsync per upload.
	WriteLastChunk(ctx context.Context, id string, offset int64, r io.Reader, sum *Checksum, check func(ciphertext io.Reader) error) (int64, error)

	// DeleteUpload removes an upload and its bytes (tus termination).
	DeleteUpload(ctx context.Context, id string) error

	// ExpireUploads removes every upload whose Expires is on or before
	// today, and any blob or part file that nothing references.
	// It returns how many uploads it removed.
	ExpireUploads(ctx context.Context, today Day) (int, error)

	// Submission returns a submission by ID (ErrNotFound).
	Submission(ctx context.Context, id string) (Submission, error)

	// Submissions lists the submissions not yet deleted, oldest first.
	Submissions(ctx context.Context) ([]Submission, error)

	// SubmissionsAfter lists at most limit submissions not yet deleted
	// whose IDs sort after after ("" for the first), in ID order, and
	// whether more may follow (ErrInvalid for an after that is no ID).
	SubmissionsAfter(ctx context.Context, after string, limit int) ([]Submission, bool, error)

	// OpenCiphertext opens a submission's stored ciphertext for reading;
	// the caller closes it. It supports io.ReaderAt and io.Seeker.
	OpenCiphertext(ctx context.Context, id string) (Ciphertext, error)

	// OpenReply opens one reply's ciphertext.
	OpenReply(ctx context.Context, submissionID, replyID string) (Ciphertext, error)

	// MarkCollected sets a received submission to collected and appends
	// EventCollected; a no-op (nil) if it is already collected or replied;
	// ErrBadState if it is deleted.
	MarkCollected(ctx context.Context, id string) error

	// DeleteSubmission removes the ciphertext of a submission whose stored
	// SHA-256 equals sum (else ErrBadState), keeps its record with
	// StatusDeleted and its replies, and appends EventDeleted. The caller
	// has verified the officers' signed acknowledgement. Repeating it for
	// a deleted submission with the same sum is a no-op (nil). Its
	// ciphertext is then ErrNotFound and ErrGone; the record stays.
	DeleteSubmission(ctx context.Context, id string, sum [sha256.Size]byte) error

	// AddToken stores a token record: ErrExists if a token of that role
	// and name is active, or if any token, revoked ones too, has the
	// verifier. A name whose tokens are all revoked is free again: the
	// revoked records stay (Tokens lists them, TokenByVerifier finds
	// them, still revoked). ErrInvalid for an unknown role, a zero
	// verifier, a name that is not 1 to 64 printable characters. An
	// empty Created means today.
	AddToken(ctx context.Context, t Token) error
	// ReissueToken revokes the token of t's role and name, if it is
	// active, and stores t in its place, in one step: a crash leaves
	// either the old token active and no new one, or the old revoked
	// and the new active. It reports whether it revoked a token (false:
	// every token of that name was revoked already). ErrNotFound if no
	// token of that role ever had the name; otherwise as AddToken, and
	// ErrInvalid if t is revoked.
	ReissueToken(ctx context.Context, t Token) (revoked bool, err error)
	// TokenByVerifier finds a token, revoked or not, by its verifier
	// (ErrNotFound). Implementations compare verifiers in constant time.
	TokenByVerifier(ctx context.Context, v [32]byte) (Token, error)
	// RevokeToken marks the active token of role and name revoked
	// (ErrNotFound if no token ever had the name); again is a no-op.
	RevokeToken(ctx context.Context, role Role, name string) error
	// Tokens lists every token record, revoked ones too, by role then
	// name; the tokens of one role and name oldest first, so the active
	// one, if any, is last.
	Tokens(ctx context.Context) ([]Token, error)

	// FreeSpace reports how many more bytes the store can hold, as its
	// storage reports them (a file system's space available to an
	// unprivileged process). The server refuses uploads that would
	// bring it under a floor, so that the records, acknowledgements and
	// deletions always have room.
	FreeSpace(ctx context.Context) (int64, error)

	// Manifest returns the current signed key manifest and its signature
	// (ErrNotFound if none has been published).
	Manifest(ctx context.Context) (manifest, signature []byte, version uint64, err error)
	// PutManifest replaces the manifest if version is higher than the
	// current one (else ErrBadState). The caller has verified it.
	// ErrInvalid if either part is empty or above 64 KiB.
	PutManifest(ctx context.Context, manifest, signature []byte, version uint64) error

	// Events returns the log entries with Seq >= from, oldest first, at
	// most limit (limit <= 0 means DefaultEventLimit). Seq starts at 1.
	Events(ctx context.Context, from uint64, limit int) ([]Event, error)

	// Close releases the database. Safe to call once.
	Close() error
}

// DefaultEventLimit is how many events [Store.Events] returns when the
// caller gives no limit.
const DefaultEventLimit = 1000

// Ciphertext is a stored blob opened for reading.
type Ciphertext interface {
	io.ReadSeekCloser
	io.ReaderAt
	Size() int64
}
