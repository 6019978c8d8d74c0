package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"refuge/internal/lowerhex"
)

// EventLine is the canonical encoding of an event that its Hash covers:
// one line of ASCII, fields separated by single spaces,
//
//	refuge-event-v1 <seq> <day> <type> <submission id> <sha256> <prev>\n
//
// seq in decimal without leading zeros (the first event is 1), day as
// 2006-01-02, type one of the EventType values, the submission ID as 32
// lowercase hex, sha256 and prev as 64 lowercase hex each (all zeros when
// unknown or for the first event). Hash = SHA-256(EventLine(e)), and
// e.Prev is the Hash of event e.Seq-1. No field can hold a space or a
// newline, so the encoding is unambiguous. A courier can check an entry
// with nothing but printf and sha256sum (docs/events.md).
func EventLine(e Event) string {
	return fmt.Sprintf("refuge-event-v1 %d %s %s %s %x %x\n", e.Seq, e.Day, e.Type, e.SubmissionID, e.SHA256, e.Prev)
}

// EventHash returns the hash an event must carry: SHA-256 of its line.
func EventHash(e Event) [sha256.Size]byte { return sha256.Sum256([]byte(EventLine(e))) }

// VerifyEvents checks that events are consecutive, each one's Hash is
// right and each one's Prev is the Hash of the one before. prev is the
// Hash of the event just before events[0] (zero if it is the first of the
// log). It returns the Hash of the last event, to continue with the next
// page.
func VerifyEvents(prev [sha256.Size]byte, events []Event) ([sha256.Size]byte, error) {
	for i, e := range events {
		if err := checkEventFields(e); err != nil {
			return prev, err
		}
		if i > 0 && e.Seq != events[i-1].Seq+1 {
			return prev, fmt.Errorf("event log: entry %d follows %d", e.Seq, events[i-1].Seq)
		}
		if e.Prev != prev {
			return prev, fmt.Errorf("event log: entry %d does not chain to the one before", e.Seq)
		}
		if EventHash(e) != e.Hash {
			return prev, fmt.Errorf("event log: entry %d has a wrong hash", e.Seq)
		}
		prev = e.Hash
	}
	return prev, nil
}

// checkEventFields refuses an event whose fields could make its line
// ambiguous or that names an unknown type.
func checkEventFields(e Event) error {
	switch {
	case e.Seq == 0:
		return fmt.Errorf("event log: entry with sequence number 0")
	case !validDay(e.Day):
		return fmt.Errorf("event log: entry %d has a malformed day", e.Seq)
	case !lowerhex.ID(e.SubmissionID):
		return fmt.Errorf("event log: entry %d has a malformed submission id", e.Seq)
	}
	switch e.Type {
	case EventCreated, EventCompleted, EventCollected, EventReplied, EventDeleted:
		return nil
	}
	return fmt.Errorf("event log: entry %d has an unknown type", e.Seq)
}

type eventRecord struct {
	Seq          uint64    `json:"seq"`
	Day          Day       `json:"day"`
	Type         EventType `json:"type"`
	SubmissionID string    `json:"submission_id"`
	SHA256       sum       `json:"sha256"`
	Prev         sum       `json:"prev"`
	Hash         sum       `json:"hash"`
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// appendEvent adds an event to the log inside tx, the transaction of the
// change it records, so the log and the state never disagree.
func appendEvent(tx *bolt.Tx, day Day, typ EventType, submissionID string, sha sum) (Event, error) {
	b := tx.Bucket(bucketEvents)
	e := Event{Seq: 1, Day: day, Type: typ, SubmissionID: submissionID, SHA256: sha}
	if k, v := b.Cursor().Last(); k != nil {
		var last eventRecord
		if err := jsonUnmarshal(v, &last); err != nil {
			return Event{}, err
		}
		e.Seq, e.Prev = last.Seq+1, last.Hash
	}
	e.Hash = EventHash(e)
	rec := eventRecord{Seq: e.Seq, Day: e.Day, Type: e.Type, SubmissionID: e.SubmissionID, SHA256: e.SHA256, Prev: e.Prev, Hash: e.Hash}
	return e, put(b, seqKey(e.Seq), &rec)
}

// Events returns up to limit log entries from seq from on.
func (s *BoltStore) Events(ctx context.Context, from uint64, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = DefaultEventLimit
	}
	var events []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(seqKey(from)); k != nil && len(events) < limit; k, v = c.Next() {
			var rec eventRecord
			if err := jsonUnmarshal(v, &rec); err != nil {
				return err
			}
			events = append(events, Event{
				Seq: rec.Seq, Day: rec.Day, Type: rec.Type, SubmissionID: rec.SubmissionID,
				SHA256: rec.SHA256, Prev: rec.Prev, Hash: rec.Hash,
			})
		}
		return nil
	})
	return events, err
}
