package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"refuge/internal/uploaders"
)

// The bbolt buckets. Keys are the random identifiers (or an event's
// sequence number, big-endian); values are JSON records.
var (
	bucketUploads     = []byte("uploads")     // upload ID → uploadRecord
	bucketReserved    = []byte("reserved")    // submission ID → upload ID reserving it
	bucketSubmissions = []byte("submissions") // submission ID → submissionRecord
	bucketTokens      = []byte("tokens")      // role NUL name (NUL seq) → tokenRecord (token.go)
	bucketManifest    = []byte("manifest")    // "current" → manifestRecord
	bucketEvents      = []byte("events")      // seq (8 bytes BE) → eventRecord
	allBuckets        = [][]byte{bucketUploads, bucketReserved, bucketSubmissions, bucketTokens, bucketManifest, bucketEvents}
)

// checkOwnBuckets refuses a database that holds a bucket Refuge never
// makes (ErrDBForeign): a bbolt file of another program, put where
// refuge.db belongs, would otherwise get Refuge's buckets beside its own.
// A database with none of them (a first start that stopped before
// init) or some of them (an older Refuge) is Refuge's.
func checkOwnBuckets(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if !slices.ContainsFunc(allBuckets, func(b []byte) bool { return bytes.Equal(b, name) }) {
				return ErrDBForeign
			}
			return nil
		})
	})
}

func (s *BoltStore) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create buckets: %w", err)
	}
	return nil
}

// sum is a SHA-256 value stored as lowercase hex.
type sum [32]byte

func (h sum) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }

func (h *sum) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return errors.New("bad hash length")
	}
	_, err := hex.Decode(h[:], b)
	return err
}

type uploadRecord struct {
	ID           string `json:"id"`
	Length       int64  `json:"length"`
	Offset       int64  `json:"offset"`
	Created      Day    `json:"created"`
	Expires      Day    `json:"expires"`
	Kind         Kind   `json:"kind"`
	SubmissionID string `json:"submission_id"`
	Verifier     sum    `json:"verifier"`
	Partner      string `json:"partner,omitempty"`
	Courier      string `json:"courier,omitempty"`
	CreatorToken *sum   `json:"creator_token,omitempty"` // nil for anonymous uploads
	// CreatedPending: the upload's created event is still to be logged,
	// with its completion (set on every upload but a reply since the
	// event moved there). A record without it logged the event when it
	// was created, so its completion does not log it again.
	CreatedPending bool `json:"created_pending,omitempty"`
	// HashState is the marshalled SHA-256 state over bytes [0, Offset),
	// so Complete never re-reads the ciphertext to hash it.
	HashState []byte `json:"hash_state"`
}

func (r *uploadRecord) upload() Upload {
	u := Upload{
		ID: r.ID, Length: r.Length, Offset: r.Offset, Created: r.Created, Expires: r.Expires,
		Kind: r.Kind, SubmissionID: r.SubmissionID, Verifier: r.Verifier, Partner: r.Partner, Courier: r.Courier,
	}
	if r.CreatorToken != nil {
		u.CreatorToken = *r.CreatorToken
	}
	return u
}

type replyRecord struct {
	ID      string `json:"id"`
	Size    int64  `json:"size"`
	SHA256  sum    `json:"sha256"`
	Created Day    `json:"created"`
}

type submissionRecord struct {
	ID       string        `json:"id"`
	Seq      uint64        `json:"seq"` // of its completed event: the order of Submissions
	Kind     Kind          `json:"kind"`
	Verifier sum           `json:"verifier"`
	Partner  string        `json:"partner,omitempty"`
	Received Day           `json:"received"`
	Status   Status        `json:"status"`
	Size     int64         `json:"size"`
	SHA256   sum           `json:"sha256"`
	Replies  []replyRecord `json:"replies,omitempty"`
}

func (r *submissionRecord) submission() Submission {
	sub := Submission{
		ID: r.ID, Kind: r.Kind, Verifier: r.Verifier, Partner: r.Partner, Received: r.Received,
		Status: r.Status, Size: r.Size, SHA256: r.SHA256,
	}
	for _, rp := range r.Replies {
		sub.Replies = append(sub.Replies, Reply{ID: rp.ID, Size: rp.Size, SHA256: rp.SHA256, Created: rp.Created})
	}
	return sub
}

type tokenRecord struct {
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Verifier sum    `json:"verifier"`
	Created  Day    `json:"created"`
	Revoked  bool   `json:"revoked,omitempty"`
}

type manifestRecord struct {
	Manifest  []byte `json:"manifest"`
	Signature []byte `json:"signature"`
	Version   uint64 `json:"version"`
}

func tokenKey(role Role, name string) []byte { return []byte(string(role) + "\x00" + name) }

// get decodes the record under key into v; false if there is none.
func get(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := jsonUnmarshal(data, v); err != nil {
		return false, err
	}
	return true, nil
}

func jsonUnmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("store: corrupt record: %w", err)
	}
	return nil
}

func put(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// validName accepts partner and token names: 1 to 64 bytes of UTF-8,
// printable characters without spaces at either end. It is the rule of
// internal/uploaders, which couriers check the names they are sent
// against: one rule, written once.
func validName(name string) bool { return uploaders.ValidName(name) }

// validDay reports whether d is a real date in the form 2006-01-02.
func validDay(d Day) bool {
	t, err := time.Parse(time.DateOnly, string(d))
	return err == nil && Day(t.Format(time.DateOnly)) == d
}

// midnight is the start of day d in UTC; files get it as their times so
// the file system keeps no finer time than the records do.
func midnight(d Day) time.Time {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return time.Unix(0, 0).UTC()
	}
	return t
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, ErrNotFound) }

func gone(what string) error { return fmt.Errorf("%s: %w (%w)", what, ErrNotFound, ErrGone) }
