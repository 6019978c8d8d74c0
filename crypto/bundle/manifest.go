package bundle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"

	"refuge/internal/lowerhex"
	"refuge/internal/strictjson"
)

// ManifestFormat is the value of the "format" field of a bundle manifest.
const ManifestFormat = "refuge-bundle-v1"

// Kinds of submission recorded in the manifest.
const (
	// KindAnonymous is a defender's submission; Partner is empty.
	KindAnonymous = "anonymous"
	// KindReferral is a partner's referral; Partner names the partner and a
	// manifest.json.minisig signature is expected.
	KindReferral = "referral"
	// KindReply is an officer's reply to a submission, sealed to the
	// submitter's reply recipient: SubmissionID names the submission it
	// answers, Partner and ReplyRecipient are empty.
	KindReply = "reply"
)

// MaxManifestSize bounds manifest.json (and so the memory Open uses for it).
const MaxManifestSize = 16 << 20

// dayLayout is the layout of the "created" field: a UTC day, no time.
const dayLayout = "2006-01-02"

// Manifest is the content of a bundle's manifest.json. It is the last data
// entry of the tar stream and lists every other entry except itself and its
// signature.
type Manifest struct {
	Format         string  `json:"format"`          // always ManifestFormat
	Kind           string  `json:"kind"`            // KindAnonymous, KindReferral or KindReply
	Created        string  `json:"created"`         // UTC day, "2006-01-02"
	SubmissionID   string  `json:"submission_id"`   // 32 lowercase hex characters
	ReplyRecipient string  `json:"reply_recipient"` // age1pq1… or empty
	Partner        string  `json:"partner"`         // partner name, empty for anonymous
	Entries        []Entry `json:"entries"`         // files/…, note.txt, referral.json in tar order
}

// Entry describes one entry of a bundle.
type Entry struct {
	Name   string `json:"name"`   // "files/<relative path>", "note.txt" or "referral.json"
	Size   int64  `json:"size"`   // bytes
	SHA256 string `json:"sha256"` // 64 lowercase hex characters
}

// ParseManifest parses and checks a bundle manifest.json strictly: unknown
// fields, trailing data, a wrong format, kind, day, submission id, reply
// recipient or entry (bad name, duplicate, negative size, bad hash) are
// refused. Errors wrap [ErrNotBundle] and never repeat an entry name.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > MaxManifestSize {
		return nil, fmt.Errorf("%w: manifest.json is larger than %d bytes", ErrNotBundle, MaxManifestSize)
	}
	if err := strictjson.CheckFieldNames(data, fieldNames...); err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %v", ErrNotBundle, err)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	var m Manifest
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest.json is malformed: %v", ErrNotBundle, jsonErr(err))
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: manifest.json has trailing data", ErrNotBundle)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %v", ErrNotBundle, err)
	}
	return &m, nil
}

// fieldNames are the names of the fields of a Manifest and of an Entry,
// as they are written. The standard decoder would keep the last of a field
// named twice and take a name in another letter case: a manifest, which a
// partner signs, could be read one way here and another way by other
// tools, so strictjson refuses both. Which names belong to which object
// the decoder checks (DisallowUnknownFields).
var fieldNames = []string{
	"format", "kind", "created", "submission_id", "reply_recipient", "partner", "entries",
	"name", "size", "sha256",
}

// jsonErr drops the offending value from JSON errors that quote it.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q has the wrong type", te.Field)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("syntax error at byte %d", se.Offset)
	}
	return errors.New("unexpected content")
}

func (m *Manifest) check() error {
	if m.Format != ManifestFormat {
		return errors.New("unknown format")
	}
	switch m.Kind {
	case KindAnonymous:
		if m.Partner != "" {
			return errors.New("anonymous submission names a partner")
		}
	case KindReferral:
		if err := checkPartner(m.Partner); err != nil {
			return err
		}
	case KindReply:
		if m.Partner != "" || m.ReplyRecipient != "" {
			return errors.New("a reply names no partner and no reply recipient")
		}
	default:
		return errors.New("unknown kind")
	}
	if _, err := time.Parse(dayLayout, m.Created); err != nil {
		return errors.New("created is not a YYYY-MM-DD day")
	}
	if err := CheckSubmissionID(m.SubmissionID); err != nil {
		return err
	}
	if m.ReplyRecipient != "" {
		if _, err := age.ParseHybridRecipient(m.ReplyRecipient); err != nil {
			return errors.New("reply_recipient is not an age1pq1 recipient")
		}
	}
	names := newNameSet()
	for i, e := range m.Entries {
		if err := checkEntryName(e.Name); err != nil {
			return fmt.Errorf("entry %d: %v", i, err)
		}
		if err := names.add(e.Name); err != nil {
			return fmt.Errorf("entry %d: %v", i, err)
		}
		if e.Size < 0 {
			return fmt.Errorf("entry %d: negative size", i)
		}
		if !lowerhex.Valid(e.SHA256, 64) {
			return fmt.Errorf("entry %d: sha256 is not 64 lowercase hex characters", i)
		}
	}
	return nil
}

func checkPartner(p string) error {
	if p == "" || len(p) > 64 {
		return errors.New("partner name must be 1 to 64 characters")
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return errors.New("partner name may hold only letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

// CheckSubmissionID returns an error unless id is 32 lowercase hex
// characters, the form of Refuge submission ids (and of the directory Open
// creates).
func CheckSubmissionID(id string) error {
	if !lowerhex.ID(id) {
		return errors.New("submission id is not 32 lowercase hex characters")
	}
	return nil
}

func hexSum(sum []byte) string { return hex.EncodeToString(sum) }
