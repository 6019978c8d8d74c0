package server

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"refuge/server/api"
	"refuge/server/store"
)

// The submitter's view, authorised by the phrase-derived access token:
// status, the list of replies, and each reply's bytes.

func (s *Server) submissionStatus(w http.ResponseWriter, r *http.Request) {
	sub, e := s.submitter(r, mux.Vars(r)["id"])
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, api.Status{ID: sub.ID, Status: string(sub.Status), Received: string(sub.Received), Replies: apiReplies(sub.Replies)})
}

func (s *Server) listReplies(w http.ResponseWriter, r *http.Request) {
	sub, e := s.submitter(r, mux.Vars(r)["id"])
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, api.ReplyList{Replies: apiReplies(sub.Replies)})
}

func (s *Server) downloadReply(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	sub, e := s.submitter(r, v["id"])
	if e != nil {
		writeError(w, e)
		return
	}
	ct, err := s.cfg.Store.OpenReply(r.Context(), sub.ID, v["reply"])
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, api.Errorf(api.CodeNotFound, "no such reply"))
		return
	}
	if err != nil {
		writeError(w, s.storeError("open reply", err))
		return
	}
	br, err := parseRange(r.Header.Values("Range"), ct.Size())
	if err != nil {
		ct.Close()
		rangeError(w, ct.Size())
		return
	}
	s.serveBlob(w, ct, br)
}
