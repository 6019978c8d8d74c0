package server

import (
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"syscall"

	"refuge/server/api"
	"refuge/server/store"
)

// writeError writes e as its status and the JSON envelope of package api.
func writeError(w http.ResponseWriter, e *api.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	w.WriteHeader(e.Code.Status())
	_ = json.NewEncoder(w).Encode(api.ErrorBody{Error: e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// storeError maps a store error to an api error. Unknown errors are
// logged (the operation name and the error only) and become a 500 that
// says nothing more.
func (s *Server) storeError(op string, err error) *api.Error {
	switch {
	case errors.Is(err, store.ErrGone):
		return api.Errorf(api.CodeGone, "expired or deleted")
	case errors.Is(err, store.ErrInvalid):
		return api.Errorf(api.CodeBadRequest, "invalid request")
	case errors.Is(err, store.ErrNotFound):
		return api.Errorf(api.CodeNotFound, "not found")
	case errors.Is(err, store.ErrExists):
		return api.Errorf(api.CodeConflict, "already exists")
	case errors.Is(err, store.ErrOffsetMismatch):
		return api.Errorf(api.CodeConflict, "Upload-Offset does not match the upload's current offset")
	case errors.Is(err, store.ErrTooLarge):
		return api.Errorf(api.CodeTooLarge, "data goes past the declared Upload-Length; nothing was kept")
	case errors.Is(err, store.ErrChecksum):
		return api.Errorf(api.CodeChecksum, "checksum of the received data does not match Upload-Checksum; nothing was kept")
	case errors.Is(err, store.ErrLocked):
		return api.Errorf(api.CodeConflict, "another request is writing to this upload")
	case errors.Is(err, store.ErrIncomplete):
		return api.Errorf(api.CodeConflict, "upload is not complete")
	case errors.Is(err, store.ErrBadState):
		return api.Errorf(api.CodeConflict, "not allowed in the current state")
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return api.Errorf(api.CodeNoSpace, "the server ran out of disk space while writing; what it had acknowledged is kept; try again later")
	case errors.Is(err, store.ErrUndecided):
		// A fault of the server's own, not of the request: logged as
		// such, and retryable (503) since nothing was lost.
		s.log.Error("internal error", "op", op, "err", err)
		return api.Errorf(api.CodeUnavailable, "the server could not finish this upload now; what it received is kept; ask for its offset again later to complete it")
	}
	s.log.Error("internal error", "op", op, "err", err)
	return api.Errorf(api.CodeInternal, "internal error")
}

// discardLogger is the http.Server's error log: net/http writes client
// addresses into it, so it goes nowhere.
func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
