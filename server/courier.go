package server

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"refuge/internal/lowerhex"
	"refuge/server/api"
	"refuge/server/store"
)

// The courier's endpoints: list submissions, download ciphertext (with
// Range), post acknowledgements, read the event log. Replies are uploaded
// through tus with kind "reply".

func apiReplies(rs []store.Reply) []api.Reply {
	out := make([]api.Reply, 0, len(rs))
	for _, r := range rs {
		out = append(out, api.Reply{ID: r.ID, Size: r.Size, SHA256: hex.EncodeToString(r.SHA256[:]), Created: string(r.Created)})
	}
	return out
}

// listSubmissions answers GET /v1/submissions[?after=ID] (courier): a
// page of the submissions not yet deleted, in ID order (see
// api.SubmissionList).
func (s *Server) listSubmissions(w http.ResponseWriter, r *http.Request) {
	if _, e := s.requireRole(r, store.RoleCourier); e != nil {
		writeError(w, e)
		return
	}
	q := r.URL.Query()
	if len(q["after"]) > 1 {
		writeError(w, api.Errorf(api.CodeBadRequest, "after is given more than once"))
		return
	}
	after := q.Get("after")
	if after != "" && !lowerhex.ID(after) {
		writeError(w, api.Errorf(api.CodeBadRequest, "after: a submission id is 32 lowercase hex characters"))
		return
	}
	subs, more, err := s.cfg.Store.SubmissionsAfter(r.Context(), after, s.cfg.SubmissionsPage)
	if err != nil {
		writeError(w, s.storeError("list submissions", err))
		return
	}
	out := api.SubmissionList{Submissions: make([]api.Submission, 0, len(subs)), More: more}
	for _, sub := range subs {
		out.Submissions = append(out.Submissions, api.Submission{
			ID: sub.ID, Kind: string(sub.Kind), Partner: sub.Partner, Received: string(sub.Received),
			Status: string(sub.Status), Size: sub.Size, SHA256: hex.EncodeToString(sub.SHA256[:]),
			Replies: apiReplies(sub.Replies),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// serveBlob sends br of a stored age file (see parseRange), with no
// validators (no ETag, no Last-Modified: nothing that dates the file).
// The conditional headers (If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since, If-Range) are not read: a stored file never
// changes, so they could only turn a download into a 304 or 412 that
// says nothing.
func (s *Server) serveBlob(w http.ResponseWriter, ct store.Ciphertext, br byteRange) {
	defer ct.Close()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.MaxRequestLifetime))
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(br.length, 10))
	if _, err := ct.Seek(br.start, io.SeekStart); err != nil {
		writeError(w, s.storeError("seek ciphertext", err))
		return
	}
	status := http.StatusOK
	if br.partial {
		h.Set("Content-Range", "bytes "+strconv.FormatInt(br.start, 10)+"-"+strconv.FormatInt(br.start+br.length-1, 10)+"/"+strconv.FormatInt(ct.Size(), 10))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	_, _ = io.CopyN(w, ct, br.length)
}

func (s *Server) downloadCiphertext(w http.ResponseWriter, r *http.Request) {
	if _, e := s.requireRole(r, store.RoleCourier); e != nil {
		writeError(w, e)
		return
	}
	id := mux.Vars(r)["id"]
	ct, err := s.cfg.Store.OpenCiphertext(r.Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrGone) {
			writeError(w, api.Errorf(api.CodeGone, "this submission's ciphertext was deleted after the officers acknowledged it"))
			return
		}
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, api.Errorf(api.CodeNotFound, "no such submission"))
			return
		}
		writeError(w, s.storeError("open ciphertext", err))
		return
	}
	// The range is decided before the submission counts as collected: a
	// refused one changes nothing.
	br, err := parseRange(r.Header.Values("Range"), ct.Size())
	if err != nil {
		ct.Close()
		rangeError(w, ct.Size())
		return
	}
	if err := s.cfg.Store.MarkCollected(r.Context(), id); err != nil {
		ct.Close()
		writeError(w, s.storeError("mark collected", err))
		return
	}
	s.serveBlob(w, ct, br)
}

// postAck deletes a submission's ciphertext on a valid acknowledgement:
// signed by the current manifest's ack_key, naming an existing
// submission and the SHA-256 of its stored ciphertext.
func (s *Server) postAck(w http.ResponseWriter, r *http.Request) {
	if _, e := s.requireRole(r, store.RoleCourier); e != nil {
		writeError(w, e)
		return
	}
	var req api.AckPost
	if e := s.readJSON(w, r, &req, "statement", "signature"); e != nil {
		writeError(w, e)
		return
	}
	id, sum, err := parseAck([]byte(req.Statement))
	if err != nil {
		writeError(w, api.Errorf(api.CodeBadRequest, "%v", err))
		return
	}
	m, e := s.currentManifest(r)
	if e != nil {
		writeError(w, e)
		return
	}
	ackKey, ok := m.AckPublicKey()
	if !ok {
		writeError(w, api.Errorf(api.CodeUnprocessable, "the current manifest has no ack_key, so no acknowledgement can be accepted"))
		return
	}
	if _, err := ackKey.Verify([]byte(req.Statement), []byte(req.Signature)); err != nil {
		writeError(w, api.Errorf(api.CodeUnprocessable, "acknowledgement signature does not verify against the current manifest's ack_key; nothing was deleted"))
		return
	}
	sub, err := s.cfg.Store.Submission(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, api.Errorf(api.CodeNotFound, "the acknowledged submission does not exist; nothing was deleted"))
		return
	}
	if err != nil {
		writeError(w, s.storeError("submission", err))
		return
	}
	if sub.Status == store.StatusDeleted {
		writeError(w, api.Errorf(api.CodeGone, "the acknowledged submission's ciphertext is already deleted"))
		return
	}
	if subtle.ConstantTimeCompare(sub.SHA256[:], sum[:]) != 1 {
		writeError(w, api.Errorf(api.CodeConflict, "the acknowledged SHA-256 is not that of the stored ciphertext; nothing was deleted"))
		return
	}
	if err := s.cfg.Store.DeleteSubmission(r.Context(), id, sum); err != nil {
		writeError(w, s.storeError("delete submission", err))
		return
	}
	writeJSON(w, http.StatusOK, api.AckResult{SubmissionID: id, Deleted: true})
}

const maxEvents = 1000

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	if _, e := s.requireRole(r, store.RoleCourier); e != nil {
		writeError(w, e)
		return
	}
	var from uint64
	if len(r.URL.Query()["from"]) > 1 {
		writeError(w, api.Errorf(api.CodeBadRequest, "from is given more than once"))
		return
	}
	if f := r.URL.Query().Get("from"); f != "" {
		n, err := parseLength(f)
		if err != nil {
			writeError(w, api.Errorf(api.CodeBadRequest, "from: %v", err))
			return
		}
		from = uint64(n) // #nosec G115 -- parseLength returns only non-negative values
	}
	evs, err := s.cfg.Store.Events(r.Context(), from, maxEvents)
	if err != nil {
		writeError(w, s.storeError("events", err))
		return
	}
	out := api.EventList{Events: make([]api.Event, 0, len(evs)), Next: from}
	for _, ev := range evs {
		out.Events = append(out.Events, api.Event{
			Seq: ev.Seq, Day: string(ev.Day), Type: string(ev.Type), SubmissionID: ev.SubmissionID,
			SHA256: hex.EncodeToString(ev.SHA256[:]), Prev: hex.EncodeToString(ev.Prev[:]), Hash: hex.EncodeToString(ev.Hash[:]),
		})
		out.Next = ev.Seq + 1
	}
	writeJSON(w, http.StatusOK, out)
}
