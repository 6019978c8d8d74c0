package client

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"refuge/internal/lowerhex"
	"refuge/server/api"
)

// EventLine is the canonical line that an event's hash covers (see
// docs/events.md):
//
//	refuge-event-v1 <seq> <day> <type> <submission id> <sha256> <prev>\n
func EventLine(e api.Event) string {
	return fmt.Sprintf("refuge-event-v1 %d %s %s %s %s %s\n", e.Seq, e.Day, e.Type, e.SubmissionID, e.SHA256, e.Prev)
}

// VerifyEvents checks that events continue a log whose last entry had
// sequence number prevSeq and hash prevHash (0 and 64 zeros for an empty
// log): consecutive sequence numbers, each Prev equal to the hash before,
// each Hash equal to SHA-256 of its line. It returns the new head.
func VerifyEvents(prevSeq uint64, prevHash string, events []api.Event) (uint64, string, error) {
	for _, e := range events {
		if e.Seq != prevSeq+1 {
			return prevSeq, prevHash, fmt.Errorf("event log: entry %d where %d was expected", e.Seq, prevSeq+1)
		}
		if e.Prev != prevHash {
			return prevSeq, prevHash, fmt.Errorf("event log: entry %d does not chain to the entry before it", e.Seq)
		}
		if !lowerhex.Valid(e.SHA256, 64) || !lowerhex.Valid(e.Hash, 64) || !lowerhex.Valid(e.SubmissionID, 32) ||
			!validDay(e.Day) || !eventTypes[e.Type] {
			return prevSeq, prevHash, fmt.Errorf("event log: entry %d is malformed", e.Seq)
		}
		if sha256hex(EventLine(e)) != e.Hash {
			return prevSeq, prevHash, fmt.Errorf("event log: entry %d does not match its hash (rewritten)", e.Seq)
		}
		prevSeq, prevHash = e.Seq, e.Hash
	}
	return prevSeq, prevHash, nil
}

// eventTypes are the entry types of docs/events.md.
var eventTypes = map[string]bool{"created": true, "completed": true, "collected": true, "replied": true, "deleted": true}

// validDay reports whether s is a day as the server writes it, 2006-01-02.
// In the event log it is, with the type, the one field whose content the
// hex checks do not bound, so the line the hash covers can be read one way
// only; in a status or a reply list the client prints it.
func validDay(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}

// ZeroHash is the Prev of the first event.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
