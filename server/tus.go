package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"refuge/server/api"
	"refuge/server/store"

	"refuge/internal/lowerhex"
)

// This file implements tus 1.0.0 (https://tus.io/protocols/resumable-upload):
// core, creation, termination, checksum (sha1, sha256, crc32c) and expiration.
// Deferred lengths, creation-with-upload and concatenation are not offered.

const (
	tusExtensions = "creation,termination,checksum,expiration"
	tusChecksums  = "sha1,sha256,crc32c"
)

// tusHeaders sets Tus-Resumable on every response of the tus routes and
// refuses (412) requests for another protocol version; OPTIONS needs no
// Tus-Resumable.
func (s *Server) tusHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Tus-Resumable", api.HeaderTusVersion)
		if r.Method != http.MethodOptions && r.Header.Get("Tus-Resumable") != api.HeaderTusVersion {
			w.Header().Set("Tus-Version", api.HeaderTusVersion)
			writeError(w, api.Errorf(api.CodePrecondition, "Tus-Resumable must be %s", api.HeaderTusVersion))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) tusOptions(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Tus-Version", api.HeaderTusVersion)
	h.Set("Tus-Extension", tusExtensions)
	h.Set("Tus-Max-Size", strconv.FormatInt(s.cfg.MaxUploadSize, 10))
	h.Set("Tus-Checksum-Algorithm", tusChecksums)
	w.WriteHeader(http.StatusNoContent)
}

// newUploadID returns 128 random bits as 32 lowercase hex characters.
func newUploadID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// keyedUploadID returns the upload id of a creation key (64 lowercase
// hex characters, see api.MetaCreationKey): the first 128 bits of its
// SHA-256, as 32 lowercase hex characters. Only who holds the key can
// name the upload again; the id does not give the key away.
func keyedUploadID(key string) (string, error) {
	if !lowerhex.Valid(key, 64) {
		return "", errors.New("malformed creation key")
	}
	sum := sha256.Sum256([]byte("refuge upload id v1\x00" + key))
	return hex.EncodeToString(sum[:16]), nil
}

// createdBefore reports whether the upload u, whose creation found its id
// or submission id taken, is exactly one created before and not yet
// complete: the same creation key, so the same id, and the same fields
// and creator. It then answers as the first creation did (u takes its
// expiry day).
func (s *Server) createdBefore(r *http.Request, u *store.Upload) bool {
	prev, err := s.cfg.Store.Upload(r.Context(), u.ID)
	if err != nil || prev.Offset == prev.Length {
		return false
	}
	same := prev.Length == u.Length && prev.Kind == u.Kind && prev.SubmissionID == u.SubmissionID &&
		prev.Verifier == u.Verifier && prev.Partner == u.Partner && prev.Courier == u.Courier &&
		prev.CreatorToken == u.CreatorToken
	if same {
		u.Expires = prev.Expires
	}
	return same
}

// expiresHeader is the Upload-Expires value: the start of the expiry day,
// in the RFC 7231 format tus asks for.
func expiresHeader(d store.Day) string {
	t, err := time.Parse("2006-01-02", string(d))
	if err != nil {
		return ""
	}
	return t.UTC().Format(http.TimeFormat)
}

// tusCreate is POST /v1/uploads (creation extension).
func (s *Server) tusCreate(w http.ResponseWriter, r *http.Request) {
	c, e := s.identify(r)
	if e != nil {
		writeError(w, e)
		return
	}
	u, e := s.newUpload(r, c)
	if e == nil {
		e = s.room(r, u.Length)
	}
	if e != nil {
		writeError(w, e)
		return
	}
	if err := s.cfg.Store.CreateUpload(r.Context(), u); err != nil {
		switch {
		case errors.Is(err, store.ErrExists) && s.createdBefore(r, &u):
			// The same creation again (its answer was lost): the same upload.
		case errors.Is(err, store.ErrExists):
			writeError(w, api.Errorf(api.CodeConflict, "a submission with this submission-id already exists"))
			return
		case errors.Is(err, store.ErrNotFound):
			writeError(w, api.Errorf(api.CodeNotFound, "the submission this reply answers does not exist"))
			return
		default:
			writeError(w, s.storeError("create upload", err))
			return
		}
	}
	h := w.Header()
	h.Set("Location", api.PathUploads+"/"+u.ID)
	h.Set("Upload-Expires", expiresHeader(u.Expires))
	w.WriteHeader(http.StatusCreated)
}

// newUpload validates a creation request and builds the upload record.
func (s *Server) newUpload(r *http.Request, c caller) (store.Upload, *api.Error) {
	var u store.Upload
	h := r.Header
	if h.Get("Upload-Defer-Length") != "" {
		return u, api.Errorf(api.CodeBadRequest, "Upload-Defer-Length is not supported; send Upload-Length")
	}
	if _, ok := h["Upload-Concat"]; ok {
		return u, api.Errorf(api.CodeBadRequest, "Upload-Concat is not supported; send the whole file as one upload")
	}
	if r.ContentLength != 0 {
		return u, api.Errorf(api.CodeBadRequest, "creation-with-upload is not supported; send the data with PATCH")
	}
	n, err := parseLength(h.Get("Upload-Length"))
	if err != nil {
		return u, api.Errorf(api.CodeBadRequest, "Upload-Length: %v", err)
	}
	if n == 0 {
		return u, api.Errorf(api.CodeBadRequest, "Upload-Length must be at least 1")
	}
	if n > s.cfg.MaxUploadSize {
		return u, api.Errorf(api.CodeTooLarge, "Upload-Length is larger than this server's Tus-Max-Size %d", s.cfg.MaxUploadSize)
	}
	md, err := parseMetadata(h.Get("Upload-Metadata"))
	if err != nil {
		return u, api.Errorf(api.CodeBadRequest, "%v", err)
	}
	kind, e := kindFor(c, md.kind)
	if e != nil {
		return u, e
	}
	if !lowerhex.ID(md.submissionID) {
		return u, api.Errorf(api.CodeBadRequest, "Upload-Metadata submission-id must be 32 lowercase hex characters")
	}
	switch {
	case kind == store.KindReply && md.verifier != "":
		return u, api.Errorf(api.CodeBadRequest, "a reply takes no verifier")
	case kind == store.KindReply && n > api.MaxReplySize:
		return u, api.Errorf(api.CodeTooLarge, "a reply is at most %d bytes; clients refuse a larger one", api.MaxReplySize)
	case kind == store.KindReply:
		sub, err := s.cfg.Store.Submission(r.Context(), md.submissionID)
		if err == nil && len(sub.Replies) >= s.cfg.MaxReplies {
			return u, api.Errorf(api.CodeUnprocessable, "this submission has %d replies, the most a server keeps; clients refuse more", len(sub.Replies))
		}
		// Any other error: creating the upload says it (no such submission).
	case kind == store.KindRelay && md.verifier == "":
		// A partner relaying a bundle may not know the verifier; the zero
		// verifier matches no token, so then nobody can read the status.
	default:
		v, ok := parseVerifier(md.verifier)
		if !ok {
			return u, api.Errorf(api.CodeBadRequest, "Upload-Metadata verifier must be 64 lowercase hex characters (SHA-256 of the access token)")
		}
		u.Verifier = v
	}
	id, err := newUploadID()
	if err != nil {
		return u, s.storeError("random upload id", err)
	}
	if md.creationKey != "" {
		if id, err = keyedUploadID(md.creationKey); err != nil {
			return u, api.Errorf(api.CodeBadRequest, "Upload-Metadata creation-key must be 64 lowercase hex characters")
		}
	}
	today := s.cfg.Now()
	u.ID = id
	u.Length = n
	u.Created = store.DayOf(today)
	u.Expires = store.DayOf(today.AddDate(0, 0, s.cfg.UploadLifetimeDays))
	u.Kind = kind
	u.SubmissionID = md.submissionID
	switch c.role {
	case store.RolePartner:
		u.Partner, u.CreatorToken = c.name, c.token
	case store.RoleCourier:
		u.Courier, u.CreatorToken = c.name, c.token
	}
	return u, nil
}

// kindFor decides which kind of upload the caller may create: anonymous
// callers only anonymous ones, partners relays and referrals, couriers
// replies.
func kindFor(c caller, kind string) (store.Kind, *api.Error) {
	switch c.role {
	case "":
		if kind == "" || kind == string(store.KindAnonymous) {
			return store.KindAnonymous, nil
		}
		if kind == string(store.KindRelay) || kind == string(store.KindReferral) || kind == string(store.KindReply) {
			return "", api.Errorf(api.CodeUnauthorized, "uploads of kind %s need a token", kind)
		}
	case store.RolePartner:
		if kind == string(store.KindRelay) || kind == string(store.KindReferral) {
			return store.Kind(kind), nil
		}
		if kind == "" || kind == string(store.KindAnonymous) || kind == string(store.KindReply) {
			return "", api.Errorf(api.CodeForbidden, "a partner token uploads only kind relay or referral")
		}
	case store.RoleCourier:
		if kind == string(store.KindReply) {
			return store.KindReply, nil
		}
		if kind == "" || kind == string(store.KindAnonymous) || kind == string(store.KindRelay) || kind == string(store.KindReferral) {
			return "", api.Errorf(api.CodeForbidden, "a courier token uploads only kind reply")
		}
	}
	return "", api.Errorf(api.CodeBadRequest, "Upload-Metadata kind is not one of anonymous, relay, referral, reply")
}

// upload loads the upload named in the path and refuses an expired one.
func (s *Server) upload(r *http.Request) (store.Upload, *api.Error) {
	id := mux.Vars(r)["id"]
	u, err := s.cfg.Store.Upload(r.Context(), id)
	if errors.Is(err, store.ErrGone) {
		return u, api.Errorf(api.CodeGone, "this upload has expired; start a new one")
	}
	if errors.Is(err, store.ErrNotFound) {
		return u, api.Errorf(api.CodeNotFound, "no such upload (it may have been completed, terminated or expired)")
	}
	if err != nil {
		return u, s.storeError("upload", err)
	}
	if u.Expires <= s.today() {
		return u, api.Errorf(api.CodeGone, "this upload has expired; start a new one")
	}
	return u, nil
}

func setUploadHeaders(w http.ResponseWriter, u store.Upload, offset int64) {
	h := w.Header()
	h.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	h.Set("Upload-Expires", expiresHeader(u.Expires))
}

// tusHead is HEAD /v1/uploads/{id}: the durable offset. Only the kind and
// submission id are echoed in Upload-Metadata; every other key was
// dropped at creation and the verifier is not repeated.
func (s *Server) tusHead(w http.ResponseWriter, r *http.Request) {
	u, e := s.upload(r)
	if e == nil {
		e = s.creatorRevoked(r, u)
	}
	if e != nil {
		writeHeadError(w, e)
		return
	}
	if u.Offset == u.Length {
		// Received in full but not completed (a crash between the last
		// write and completion): complete it now.
		if e := s.complete(r, u); e != nil {
			writeHeadError(w, e)
			return
		}
	}
	setUploadHeaders(w, u, u.Offset)
	w.Header().Set("Upload-Length", strconv.FormatInt(u.Length, 10))
	w.Header().Set("Upload-Metadata", api.MetaKind+" "+base64.StdEncoding.EncodeToString([]byte(u.Kind))+
		","+api.MetaSubmissionID+" "+base64.StdEncoding.EncodeToString([]byte(u.SubmissionID)))
	w.WriteHeader(http.StatusOK)
}

// writeHeadError answers a HEAD: the status only, as HEAD has no body.
func writeHeadError(w http.ResponseWriter, e *api.Error) {
	w.WriteHeader(e.Code.Status())
}

// tusPatch is PATCH /v1/uploads/{id}: append a chunk at Upload-Offset.
func (s *Server) tusPatch(w http.ResponseWriter, r *http.Request) {
	if e := checkOffsetType(r.Header.Get("Content-Type")); e != nil {
		writeError(w, e)
		return
	}
	off, err := parseLength(r.Header.Get("Upload-Offset"))
	if err != nil {
		writeError(w, api.Errorf(api.CodeBadRequest, "Upload-Offset: %v", err))
		return
	}
	var sum *store.Checksum
	if h := r.Header.Get("Upload-Checksum"); h != "" {
		if sum, err = parseChecksum(h); err != nil {
			writeError(w, api.Errorf(api.CodeBadRequest, "%v", err))
			return
		}
	}
	u, e := s.upload(r)
	if e != nil {
		writeError(w, e)
		return
	}
	// Only an upload that exists takes an entry in the per-upload table:
	// ids that name none, sent by the thousand, would otherwise fill it
	// and push out the buckets of real uploads.
	if !s.perUpload.allow(u.ID, s.cfg.Now()) {
		w.Header().Set("Retry-After", "1")
		writeError(w, api.Errorf(api.CodeRateLimited, "too many requests for this upload; try again in a moment"))
		return
	}
	if e := s.creatorRevoked(r, u); e != nil {
		writeError(w, e)
		return
	}
	if off != u.Offset {
		writeError(w, api.Errorf(api.CodeConflict, "Upload-Offset %d does not match the upload's current offset %d", off, u.Offset))
		return
	}
	if r.ContentLength > 0 && r.ContentLength > u.Length-off {
		writeError(w, api.Errorf(api.CodeTooLarge, "the body goes past the declared Upload-Length; nothing was kept"))
		return
	}
	need := u.Length - off
	if r.ContentLength >= 0 {
		need = r.ContentLength
	}
	if e := s.room(r, need); e != nil {
		writeError(w, e)
		return
	}
	if !s.acquireUpload() {
		w.Header().Set("Retry-After", "5")
		writeError(w, api.Errorf(api.CodeUnavailable, "too many uploads in progress; try again shortly"))
		return
	}
	defer s.releaseUpload()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.MaxRequestLifetime))
	body := s.newRateReader(w, r)
	// The store's work must finish even if the client goes away: what
	// arrived is kept and made durable.
	ctx := context.WithoutCancel(r.Context())
	// A chunk that may fill the upload completes it in the same commit
	// (one commit and one directory fsync fewer per upload). Should the
	// completion check not be ready (no manifest), the chunk is written
	// alone and completion reports that as before.
	var check func(io.Reader) error
	var why *error
	last := false
	if r.ContentLength < 0 || r.ContentLength == u.Length-off {
		if c, reason, e := s.completionCheck(r, u); e == nil {
			check, why, last = c, reason, true
		}
	}
	var n int64
	if last {
		n, err = s.cfg.Store.WriteLastChunk(ctx, u.ID, off, body, sum, check)
	} else {
		n, err = s.cfg.Store.WriteChunk(ctx, u.ID, off, body, sum)
	}
	if last && errors.Is(err, store.ErrRejected) {
		writeError(w, s.completeError(err, *why, u))
		return
	}
	if err != nil {
		if body.err != nil && errors.Is(err, body.err) || body.err != nil && !isStoreError(err) {
			setUploadHeaders(w, u, n)
			writeError(w, bodyError(body.err))
			return
		}
		writeError(w, s.storeError("write chunk", err))
		return
	}
	if n == u.Length && !last {
		if e := s.complete(r, u); e != nil {
			writeError(w, e)
			return
		}
	}
	setUploadHeaders(w, u, n)
	w.WriteHeader(http.StatusNoContent)
}

func isStoreError(err error) bool {
	for _, e := range []error{store.ErrNotFound, store.ErrExists, store.ErrOffsetMismatch, store.ErrTooLarge,
		store.ErrChecksum, store.ErrLocked, store.ErrIncomplete, store.ErrRejected, store.ErrBadState, store.ErrUndecided} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// complete turns a fully received upload into a submission or a reply,
// after checking that it is an age file fit for its kind.
func (s *Server) complete(r *http.Request, u store.Upload) *api.Error {
	check, why, e := s.completionCheck(r, u)
	if e != nil {
		return e
	}
	_, err := s.cfg.Store.Complete(context.WithoutCancel(r.Context()), u.ID, check)
	return s.completeError(err, *why, u)
}

// completionCheck returns the store's check for completing u, and where
// the check leaves its reason when it refuses the upload.
//
// The token that created u was active when the request began, but a
// long last chunk may end after it was revoked. The store asks again, in
// the transaction that commits the completion (see store.Complete): a
// revoked token's upload is deleted (ErrRevoked, as DELETE would), and
// one whose token it cannot read is kept (ErrUndecided) for the client
// to complete later.
func (s *Server) completionCheck(r *http.Request, u store.Upload) (func(io.Reader) error, *error, *api.Error) {
	want := 0
	if u.Kind != store.KindReply {
		n, e := s.recipientCount(r)
		if e != nil {
			return nil, nil, e
		}
		want = n
	}
	why := new(error)
	check := func(ct io.Reader) error {
		*why = checkAge(want)(ct)
		return *why
	}
	return check, why, nil
}

// completeError maps the store's answer to a completion of u.
func (s *Server) completeError(err, why error, u store.Upload) *api.Error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrRevoked):
		return revokedError(u)
	case errors.Is(err, store.ErrRejected) && why != nil:
		return api.Errorf(api.CodeUnprocessable, "upload rejected and deleted: %v", why)
	}
	return s.storeError("complete upload", err)
}

// tusDelete is DELETE /v1/uploads/{id} (termination extension).
func (s *Server) tusDelete(w http.ResponseWriter, r *http.Request) {
	u, e := s.upload(r)
	if e != nil {
		writeError(w, e)
		return
	}
	if err := s.cfg.Store.DeleteUpload(r.Context(), u.ID); err != nil {
		writeError(w, s.storeError("delete upload", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
