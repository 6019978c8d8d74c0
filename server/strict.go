package server

import (
	"net/http"
	"strings"

	"refuge/server/api"
)

// singleHeaders are the request headers the server reads one value of.
// Given twice, which one counts would depend on who reads them (net/http
// takes the first, a proxy in front may take the last or join them), so a
// request that repeats one is refused rather than read. Authorization is
// checked where it is read (a 401, as for any other bad token), Range by
// the downloads (a 416, as for any other range but one), Content-Length
// and Host by net/http.
var singleHeaders = []string{
	"Tus-Resumable", "Upload-Offset", "Upload-Length", "Upload-Defer-Length",
	"Upload-Metadata", "Upload-Checksum", "Upload-Concat", "Content-Type",
}

// overrideHeaders ask a server to take the request for another method
// (tus allows X-HTTP-Method-Override for clients that cannot send PATCH).
// Refuge's clients send every method as it is, so a request carrying one
// is refused: a proxy that checks methods and the server would otherwise
// disagree on what the request does.
var overrideHeaders = []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}

// strictHeaders refuses, before any route sees it, a request with a method
// no route takes, one that repeats a header the server reads once, asks
// for a method override, or carries a body with a method that takes none
// (GET, HEAD, DELETE, OPTIONS).
func (s *Server) strictHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == api.PathUploads || strings.HasPrefix(r.URL.Path, api.PathUploads+"/") {
			// As every answer on the tus routes (tusHeaders), refusals too.
			w.Header().Set("Tus-Resumable", api.HeaderTusVersion)
		}
		for _, k := range overrideHeaders {
			if len(r.Header.Values(k)) > 0 {
				writeError(w, api.Errorf(api.CodeBadRequest, "method override headers are not accepted; send the method itself"))
				return
			}
		}
		for _, k := range singleHeaders {
			if len(r.Header.Values(k)) > 1 {
				writeError(w, api.Errorf(api.CodeBadRequest, "the %s header is given more than once", k))
				return
			}
		}
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
		case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions:
			if r.ContentLength != 0 {
				writeError(w, api.Errorf(api.CodeBadRequest, "this method takes no request body"))
				return
			}
		default:
			// TRACE, CONNECT, methods in lower case, WebDAV's and the like:
			// no route takes them.
			writeError(w, api.Errorf(api.CodeMethod, "method not allowed"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
