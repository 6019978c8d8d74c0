package api

// Routes under /v1. Ids in paths are 32 lowercase hex characters.
const (
	PathUploads      = "/v1/uploads"          // tus 1.0 creation (POST) and OPTIONS
	PathManifest     = "/v1/manifest"         // GET the signed manifest.json; PUT a new one (courier)
	PathManifestSig  = "/v1/manifest.minisig" // GET its detached minisign signature
	PathSubmissions  = "/v1/submissions"      // GET: the courier's list
	PathAcks         = "/v1/acks"             // POST: a signed acknowledgement (courier)
	PathEvents       = "/v1/events"           // GET ?from=N: the hash-chained event log (courier)
	PathToken        = "/v1/token"            // GET: what the bearer token may do (partner or courier)
	HeaderTusVersion = "1.0.0"
)

// Upload-Metadata keys that the server accepts on tus creation. Every other
// key (for example "filename", which standard tus clients send) is dropped
// without being stored or logged.
const (
	MetaKind         = "kind"          // "anonymous" (default), "relay", "referral" or "reply"
	MetaSubmissionID = "submission-id" // 32 lowercase hex characters
	MetaVerifier     = "verifier"      // 64 lowercase hex characters: SHA-256 of the access token
	// MetaCreationKey is 64 lowercase hex characters (32 random bytes)
	// that the client keeps until the upload completes: the upload's id
	// is derived from it, so a creation whose answer was lost on the way,
	// sent again with the same key and fields, gets the same upload.
	MetaCreationKey = "creation-key"
)

// TokenInfo is the body of GET /v1/token: the role of the partner or
// courier token sent, so that a client can find a wrong or revoked token
// before it does anything that cannot be taken back (refer shows a receipt
// phrase before it uploads). It names no one: the caller holds the token.
type TokenInfo struct {
	Role string `json:"role"` // "partner" or "courier"
}

// Submission is one entry of GET /v1/submissions (courier).
type Submission struct {
	ID       string  `json:"id"`
	Kind     string  `json:"kind"`
	Partner  string  `json:"partner,omitempty"`
	Received string  `json:"received"` // UTC day, "2006-01-02"
	Status   string  `json:"status"`
	Size     int64   `json:"size"`
	SHA256   string  `json:"sha256"` // hex, of the stored ciphertext
	Replies  []Reply `json:"replies"`
}

// SubmissionList is the body of GET /v1/submissions[?after=ID]: at most
// MaxSubmissionsPage submissions not yet deleted, in the order of their
// IDs, each sorting after the after given; More is true when the next
// page, after the last ID of this one, may hold more.
type SubmissionList struct {
	Submissions []Submission `json:"submissions"`
	More        bool         `json:"more,omitempty"`
}

// MaxSubmissionsPage is the most submissions a page of GET
// /v1/submissions lists: some 300 KB of JSON. A server flooded with
// submissions then still answers a courier in pages a slow link carries,
// and the client refuses a longer page as no refuge-server's.
const MaxSubmissionsPage = 1000

// Limits of replies, the same on both sides of the wire. A refuge-server
// accepts no reply upload longer than MaxReplySize and no new reply to a
// submission that has MaxReplies; a client refuses a reply list of more,
// or a reply listed larger, as no refuge-server's, before it downloads
// anything (a seized server could otherwise fill a defender's disk or
// keep it downloading without end).
const (
	MaxReplySize int64 = 256 << 20 // bytes of one reply's age file
	MaxReplies         = 1000      // replies to one submission
)

// Reply describes one officer's reply: an opaque age file.
type Reply struct {
	ID      string `json:"id"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	Created string `json:"created"` // UTC day
}

// Status is the body of GET /v1/submissions/{id}/status, the submitter's
// view (authorised by the phrase-derived access token).
type Status struct {
	ID       string  `json:"id"`
	Status   string  `json:"status"` // received, collected, replied or deleted
	Received string  `json:"received"`
	Replies  []Reply `json:"replies"`
}

// ReplyList is the body of GET /v1/submissions/{id}/replies.
type ReplyList struct {
	Replies []Reply `json:"replies"`
}

// ManifestPut is the body of PUT /v1/manifest: the exact bytes of
// manifest.json and of its minisign signature file, as JSON strings.
type ManifestPut struct {
	Manifest  string `json:"manifest"`
	Signature string `json:"signature"`
}

// ManifestInfo is the response to a successful PUT /v1/manifest.
type ManifestInfo struct {
	Version uint64 `json:"version"`
}

// AckStatement is what the officers sign on the air-gapped machine:
// "submission X, whose ciphertext has SHA-256 Y, is imported". Its exact
// bytes (strict JSON, these three fields only) are signed with minisign by
// the manifest's ack_key.
type AckStatement struct {
	SubmissionID string `json:"submission_id"`
	SHA256       string `json:"sha256"` // 64 lowercase hex characters
	Imported     bool   `json:"imported"`
}

// AckPost is the body of POST /v1/acks: the exact statement bytes and the
// minisign signature file over them, both as JSON strings.
type AckPost struct {
	Statement string `json:"statement"`
	Signature string `json:"signature"`
}

// AckResult is the response to an accepted acknowledgement.
type AckResult struct {
	SubmissionID string `json:"submission_id"`
	Deleted      bool   `json:"deleted"`
}

// Event is one entry of the hash-chained event log (see docs/api.md for
// the chain). Hashes are lowercase hex.
type Event struct {
	Seq          uint64 `json:"seq"`
	Day          string `json:"day"`
	Type         string `json:"type"`
	SubmissionID string `json:"submission_id"`
	SHA256       string `json:"sha256"`
	Prev         string `json:"prev"`
	Hash         string `json:"hash"`
}

// EventList is the body of GET /v1/events?from=N. Next is the Seq to ask
// for next time.
type EventList struct {
	Events []Event `json:"events"`
	Next   uint64  `json:"next"`
}
