package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"refuge/server/api"
	"refuge/server/store"
)

// Bearer tokens are 32 random bytes, written as 64 lowercase hex
// characters (partner and courier tokens may also be written as 43
// characters of unpadded base64url). The server keeps only SHA-256 of the
// raw bytes, the verifier, and compares verifiers in constant time.

// caller is who sent a request, as far as the server knows.
type caller struct {
	role  store.Role // "" for anonymous
	name  string     // partner or courier name
	token [32]byte   // the verifier of its token (zero for anonymous)
}

var errNoToken = errors.New("no bearer token")

// bearer returns the raw token bytes of "Authorization: Bearer <token>".
func bearer(r *http.Request) ([]byte, error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return nil, errNoToken
	}
	if len(h) > 1 {
		return nil, errors.New("more than one Authorization header")
	}
	scheme, tok, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errors.New("the Authorization header must be \"Bearer <token>\"")
	}
	return decodeToken(tok)
}

// decodeToken accepts 64 hex characters or 43 unpadded base64url ones
// (api.DecodeToken, the client's rule too).
func decodeToken(tok string) ([]byte, error) {
	if b, ok := api.DecodeToken(tok); ok {
		return b, nil
	}
	return nil, errors.New("the bearer token is malformed")
}

// Verifier is what the server stores for a token: SHA-256 of its bytes.
func Verifier(token []byte) [32]byte { return sha256.Sum256(token) }

// identify resolves the request's bearer token, if any, to a partner or
// courier. No token is anonymous; a bad or revoked token is an error
// (never silently anonymous).
func (s *Server) identify(r *http.Request) (caller, *api.Error) {
	tok, err := bearer(r)
	if errors.Is(err, errNoToken) {
		return caller{}, nil
	}
	if err != nil {
		return caller{}, api.Errorf(api.CodeUnauthorized, "%v", err)
	}
	t, err := s.cfg.Store.TokenByVerifier(r.Context(), Verifier(tok))
	if errors.Is(err, store.ErrNotFound) || err == nil && t.Revoked {
		return caller{}, api.Errorf(api.CodeUnauthorized, "unknown or revoked token")
	}
	if err != nil {
		return caller{}, s.storeError("token lookup", err)
	}
	return caller{role: t.Role, name: t.Name, token: t.Verifier}, nil
}

// requireRole identifies the caller and refuses anyone without role.
func (s *Server) requireRole(r *http.Request, role store.Role) (caller, *api.Error) {
	c, e := s.identify(r)
	if e != nil {
		return c, e
	}
	if c.role == "" {
		return c, api.Errorf(api.CodeUnauthorized, "this endpoint needs a %s token", role)
	}
	if c.role != role {
		return c, api.Errorf(api.CodeForbidden, "a %s token may not do this; it needs a %s token", c.role, role)
	}
	return c, nil
}

// checkToken answers GET /v1/token: the role of a valid partner or courier
// token, and the same 401 as every other endpoint for a bad, unknown or
// revoked one. It reads the store and changes nothing.
func (s *Server) checkToken(w http.ResponseWriter, r *http.Request) {
	c, e := s.identify(r)
	if e == nil && c.role == "" {
		e = api.Errorf(api.CodeUnauthorized, "this endpoint needs a partner or courier token")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, api.TokenInfo{Role: string(c.role)})
}

// dummyVerifier is compared against when a submission does not exist, so
// that an unknown id and a wrong token take the same path.
var dummyVerifier = sha256.Sum256([]byte("refuge: no such submission"))

// errNoMatch is the one answer for an unknown submission id and a wrong
// access token alike.
func errNoMatch() *api.Error {
	return api.Errorf(api.CodeNotFound, "no submission matches this id and access token")
}

// submitter checks the phrase-derived access token of submission id and
// returns the submission. An unknown id and a wrong token give the same
// error after the same work.
func (s *Server) submitter(r *http.Request, id string) (store.Submission, *api.Error) {
	tok, err := bearer(r)
	if err != nil {
		return store.Submission{}, api.Errorf(api.CodeUnauthorized, "this endpoint needs the submission's access token: %v", err)
	}
	sub, err := s.cfg.Store.Submission(r.Context(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Submission{}, s.storeError("submission lookup", err)
	}
	stored := dummyVerifier
	if err == nil {
		stored = sub.Verifier
	}
	v := Verifier(tok)
	match := subtle.ConstantTimeCompare(v[:], stored[:]) == 1
	if err != nil || !match {
		return store.Submission{}, errNoMatch()
	}
	return sub, nil
}

// creator is the role and name of the partner or courier that created
// u; name is "" for an anonymous upload.
func creator(u store.Upload) (store.Role, string) {
	if u.Courier != "" {
		return store.RoleCourier, u.Courier
	}
	return store.RolePartner, u.Partner
}

// revokedError is the answer to a request that would go on with an
// upload whose creating token is no longer active.
func revokedError(u store.Upload) *api.Error {
	role, _ := creator(u)
	return api.Errorf(api.CodeUnauthorized, "the %s token that created this upload was revoked", role)
}

// creatorRevoked refuses to go on with a partner's or a courier's upload
// once the token that created it is revoked. An upload URL is a
// capability that PATCH and HEAD take without a token; without this, a
// partner or courier whose token was revoked (an office or a machine known
// to be compromised, a token that leaked) could still finish every upload
// it had created before: relays and referrals as that partner's, replies
// to defenders. DELETE stays allowed: it only removes.
//
// The upload is bound to the token, by its verifier (Upload.CreatorToken),
// not to the name: once a name has a new token (token reissue, or token
// add after a revocation), the new token is active under the same name,
// and the old one's uploads must still stop. An upload recorded before the
// binding names only its partner or courier: it may go on only while the
// name has had one token and that token is active, so a name that has had
// a new token since stops them all (a few uploads begun before an upgrade
// and cut by a reissue are started again; none is finished by the wrong
// token).
//
// The store applies the same rule once more when it commits the
// completion (store.Complete), in that commit's transaction, so that a
// revocation during the last chunk is not missed.
func (s *Server) creatorRevoked(r *http.Request, u store.Upload) *api.Error {
	err := s.cfg.Store.CreatorActive(r.Context(), u)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrRevoked):
		return revokedError(u)
	default:
		return s.storeError("token lookup", err)
	}
}
