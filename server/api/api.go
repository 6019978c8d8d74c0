// Package api is the vocabulary that refuge-server and its clients share:
// the routes under /v1, the JSON bodies, and one error type that the
// server writes as a status code plus a JSON body and the client reads
// back into the same value, so errors.Is works on both sides.
//
// The full reference is docs/api.md.
package api

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code. Messages may change;
// codes do not.
type Code string

// The error codes. Each maps to exactly one HTTP status (see Status).
const (
	CodeBadRequest      Code = "bad_request"  // 400
	CodeUnauthorized    Code = "unauthorized" // 401: missing or wrong token
	CodeForbidden       Code = "forbidden"    // 403: the token's role may not do this
	CodeNotFound        Code = "not_found"    // 404
	CodeMethod          Code = "method_not_allowed"
	CodeConflict        Code = "conflict"              // 409: offset mismatch, busy upload, exists
	CodeGone            Code = "gone"                  // 410: expired or deleted
	CodePrecondition    Code = "precondition"          // 412: unsupported tus version
	CodeTooLarge        Code = "too_large"             // 413
	CodeUnsupportedType Code = "unsupported_type"      // 415
	CodeUnprocessable   Code = "unprocessable"         // 422: well-formed but refused (not an age file, bad signature)
	CodeChecksum        Code = "checksum_mismatch"     // 460 (tus checksum extension)
	CodeRateLimited     Code = "rate_limited"          // 429
	CodeHeaderTooLarge  Code = "header_too_large"      // 431
	CodeRange           Code = "range_not_satisfiable" // 416: a download's Range is not one satisfiable byte range
	CodeTimeout         Code = "timeout"               // 408: the request body arrived too slowly
	CodeInternal        Code = "internal"              // 500
	CodeUnavailable     Code = "unavailable"           // 503
	CodeNoSpace         Code = "insufficient_storage"  // 507: the server keeps its last free space for its records
)

var statuses = map[Code]int{
	CodeBadRequest:      http.StatusBadRequest,
	CodeUnauthorized:    http.StatusUnauthorized,
	CodeForbidden:       http.StatusForbidden,
	CodeNotFound:        http.StatusNotFound,
	CodeMethod:          http.StatusMethodNotAllowed,
	CodeConflict:        http.StatusConflict,
	CodeGone:            http.StatusGone,
	CodePrecondition:    http.StatusPreconditionFailed,
	CodeTooLarge:        http.StatusRequestEntityTooLarge,
	CodeUnsupportedType: http.StatusUnsupportedMediaType,
	CodeUnprocessable:   http.StatusUnprocessableEntity,
	CodeChecksum:        460,
	CodeRateLimited:     http.StatusTooManyRequests,
	CodeHeaderTooLarge:  http.StatusRequestHeaderFieldsTooLarge,
	CodeRange:           http.StatusRequestedRangeNotSatisfiable,
	CodeTimeout:         http.StatusRequestTimeout,
	CodeInternal:        http.StatusInternalServerError,
	CodeUnavailable:     http.StatusServiceUnavailable,
	CodeNoSpace:         http.StatusInsufficientStorage,
}

// Status returns the HTTP status for a code (500 for an unknown one).
func (c Code) Status() int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is the error every endpoint returns, as the JSON body
// {"error": {"code": "...", "message": "..."}}. Message is written for a
// person and never holds a secret, a file name or an address.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%s)", e.Message, e.Code) }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, api.ErrNotFound) works on errors read back by a client.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// Errorf returns an *Error with the given code and message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels to compare against with errors.Is.
var (
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	ErrForbidden    = &Error{Code: CodeForbidden}
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrConflict     = &Error{Code: CodeConflict}
	ErrGone         = &Error{Code: CodeGone}
	ErrChecksum     = &Error{Code: CodeChecksum}
	ErrRateLimited  = &Error{Code: CodeRateLimited}
	ErrNoSpace      = &Error{Code: CodeNoSpace}
)

// ErrorBody is the JSON envelope of an error response.
type ErrorBody struct {
	Error *Error `json:"error"`
}
