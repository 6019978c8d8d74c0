package client

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"refuge/internal/lowerhex"
	"refuge/internal/noreplace"
	"refuge/internal/strictjson"
)

// A Ticket travels beside a bundle that a defender sealed offline
// (refuge seal writes BUNDLE.ticket next to BUNDLE): the submission id and
// the token verifier that the server needs to register the submission
// when a partner relays it. Neither is secret: the verifier is SHA-256 of
// the phrase-derived access token, which the server stores anyway, and it
// cannot be turned back into the token. The phrase itself never goes into
// a ticket.
//
//	{"format":"refuge-ticket-v1","submission_id":"<32 hex>","verifier":"<64 hex>"}
type Ticket struct {
	Format       string `json:"format"`
	SubmissionID string `json:"submission_id"`
	Verifier     string `json:"verifier"`
}

// TicketFormat is the Format of a Ticket.
const TicketFormat = "refuge-ticket-v1"

// TicketPath returns where the ticket of bundle lives.
func TicketPath(bundle string) string { return bundle + ".ticket" }

// maxTicket bounds a ticket: one is some 150 bytes.
const maxTicket = 4096

// ParseTicket reads a ticket strictly: unknown fields, a field named twice
// or in another letter case, trailing data, a wrong format or malformed ids
// are refused.
func ParseTicket(data []byte) (Ticket, error) {
	var t Ticket
	if len(data) > maxTicket {
		return t, errors.New("ticket is too large")
	}
	if err := strictjson.CheckFieldNames(data, "format", "submission_id", "verifier"); err != nil {
		return t, fmt.Errorf("ticket is not of the expected shape: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return t, errors.New("ticket is not valid JSON of the expected shape")
	}
	if _, err := dec.Token(); err != io.EOF {
		return t, errors.New("ticket has trailing data")
	}
	if t.Format != TicketFormat {
		return t, fmt.Errorf("ticket format is not %s", TicketFormat)
	}
	if !lowerhex.Valid(t.SubmissionID, 32) {
		return t, errors.New("ticket submission_id must be 32 lowercase hex characters")
	}
	if !lowerhex.Valid(t.Verifier, 64) {
		return t, errors.New("ticket verifier must be 64 lowercase hex characters")
	}
	return t, nil
}

// ReadTicket reads and parses the ticket beside bundle. It reads no more
// than a ticket can be: the ticket comes with the bundle, from whoever
// handed it over.
func ReadTicket(bundle string) (Ticket, error) {
	// A FIFO in the ticket's place would make the open wait forever for
	// a writer.
	if fi, err := os.Stat(TicketPath(bundle)); err != nil {
		return Ticket{}, err
	} else if !fi.Mode().IsRegular() {
		return Ticket{}, errors.New("the ticket is not a regular file")
	}
	f, err := os.Open(TicketPath(bundle))
	if err != nil {
		return Ticket{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTicket+1))
	if err != nil {
		return Ticket{}, err
	}
	return ParseTicket(data)
}

// WriteTicket writes the ticket of bundle (mode 0600), refusing to
// overwrite one: the error then wraps [noreplace.ErrExists]. The ticket
// appears at its name only complete and durable ([noreplace.WriteFile]: a
// temporary .refuge-partial-… file beside it, fsynced, put in place without
// replacing anything, the folder fsynced), so a kill or a full disk in the
// middle leaves no partial ticket that relay would refuse or misread.
func WriteTicket(bundle string, submissionID string, verifier [32]byte) error {
	t := Ticket{Format: TicketFormat, SubmissionID: submissionID, Verifier: hex.EncodeToString(verifier[:])}
	if !lowerhex.Valid(t.SubmissionID, 32) {
		return errors.New("submission id must be 32 lowercase hex characters")
	}
	data, _ := json.Marshal(t)
	return noreplace.WriteFile(TicketPath(bundle), func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}
