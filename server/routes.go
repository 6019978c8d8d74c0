package server

import (
	"net/http"

	"github.com/gorilla/mux"

	"refuge/server/api"
)

// idPattern admits exactly the ids the server hands out or accepts: 32
// lowercase hex characters. Paths are matched as sent (no cleaning, no
// decoding of %2F), so "//", "..", "%2F.." and the like match no route
// and get a 404; an id never becomes a file path.
const idPattern = "{id:[0-9a-f]{32}}"

func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	r.SkipClean(true)
	r.UseEncodedPath()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, api.Errorf(api.CodeNotFound, "no such endpoint"))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, api.Errorf(api.CodeMethod, "method not allowed on this endpoint"))
	})

	tus := func(path string, h http.HandlerFunc, method string) {
		r.Handle(path, s.tusHeaders(h)).Methods(method)
	}
	upload := api.PathUploads + "/" + idPattern
	tus(api.PathUploads, s.tusOptions, http.MethodOptions)
	tus(api.PathUploads, s.tusCreate, http.MethodPost)
	tus(upload, s.tusOptions, http.MethodOptions)
	tus(upload, s.tusHead, http.MethodHead)
	tus(upload, s.tusPatch, http.MethodPatch)
	tus(upload, s.tusDelete, http.MethodDelete)

	r.HandleFunc(api.PathManifest, s.getManifest(false)).Methods(http.MethodGet)
	r.HandleFunc(api.PathManifestSig, s.getManifest(true)).Methods(http.MethodGet)
	r.HandleFunc(api.PathManifest, s.putManifest).Methods(http.MethodPut)

	r.HandleFunc(api.PathSubmissions, s.listSubmissions).Methods(http.MethodGet)
	sub := api.PathSubmissions + "/" + idPattern
	r.HandleFunc(sub+"/ciphertext", s.downloadCiphertext).Methods(http.MethodGet)
	r.HandleFunc(sub+"/status", s.submissionStatus).Methods(http.MethodGet)
	r.HandleFunc(sub+"/replies", s.listReplies).Methods(http.MethodGet)
	r.HandleFunc(sub+"/replies/{reply:[0-9a-f]{32}}", s.downloadReply).Methods(http.MethodGet)

	r.HandleFunc(api.PathAcks, s.postAck).Methods(http.MethodPost)
	r.HandleFunc(api.PathEvents, s.listEvents).Methods(http.MethodGet)
	r.HandleFunc(api.PathToken, s.checkToken).Methods(http.MethodGet)

	return s.writeDeadline(closeOnError(s.securityHeaders(s.headerLimit(s.rateLimit(s.strictHeaders(r))))))
}
