package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
	"refuge/server/api"
	"refuge/server/store"
)

// currentManifest returns the published manifest, parsed.
func (s *Server) currentManifest(r *http.Request) (*manifest.Manifest, *api.Error) {
	b, _, _, err := s.cfg.Store.Manifest(r.Context())
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.Errorf(api.CodeUnavailable, "no key manifest has been published yet")
	}
	if err != nil {
		return nil, s.storeError("manifest", err)
	}
	m, err := manifest.Parse(b)
	if err != nil {
		return nil, s.storeError("manifest", fmt.Errorf("stored manifest does not parse: %w", err))
	}
	return m, nil
}

func (s *Server) getManifest(sig bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mj, ms, _, err := s.cfg.Store.Manifest(r.Context())
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, api.Errorf(api.CodeNotFound, "no key manifest has been published yet"))
			return
		}
		if err != nil {
			writeError(w, s.storeError("manifest", err))
			return
		}
		body, ct := mj, "application/json"
		if sig {
			body, ct = ms, "text/plain; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(body)
	}
}

// putManifest publishes a new manifest (courier). It must verify against
// the root key and have a higher version than the current one.
func (s *Server) putManifest(w http.ResponseWriter, r *http.Request) {
	if _, e := s.requireRole(r, store.RoleCourier); e != nil {
		writeError(w, e)
		return
	}
	var req api.ManifestPut
	if e := s.readJSON(w, r, &req, "manifest", "signature"); e != nil {
		writeError(w, e)
		return
	}
	mb, sb := []byte(req.Manifest), []byte(req.Signature)
	m, err := manifest.Verify(mb, sb, s.cfg.RootKey, s.cfg.Now(), nil)
	if err != nil {
		writeError(w, api.Errorf(api.CodeUnprocessable, "%v", err))
		return
	}
	_, _, cur, err := s.cfg.Store.Manifest(r.Context())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		writeError(w, s.storeError("manifest", err))
		return
	}
	if err == nil && m.Version <= cur {
		writeError(w, api.Errorf(api.CodeConflict, "manifest version %d is not higher than the current version %d", m.Version, cur))
		return
	}
	if err := s.cfg.Store.PutManifest(r.Context(), mb, sb, m.Version); err != nil {
		if errors.Is(err, store.ErrBadState) {
			writeError(w, api.Errorf(api.CodeConflict, "manifest version %d is not higher than the current version", m.Version))
			return
		}
		writeError(w, s.storeError("put manifest", err))
		return
	}
	writeJSON(w, http.StatusOK, api.ManifestInfo{Version: m.Version})
}

// Publish verifies a signed manifest against rootKey and stores it if its
// version is higher than the current one. refuge-server --dev and
// operators' tooling use it; the HTTP PUT does the same.
//
// The server keeps its own ordering (the store's version), so it passes
// no seen-versions state to manifest.Verify.
func Publish(ctx context.Context, st store.Store, rootKey signing.PublicKey, manifestJSON, signature []byte, now time.Time) error {
	m, err := manifest.Verify(manifestJSON, signature, rootKey, now, nil)
	if err != nil {
		return err
	}
	if err := st.PutManifest(ctx, manifestJSON, signature, m.Version); errors.Is(err, store.ErrBadState) {
		return notHigherError(m.Version)
	} else if err != nil {
		return err
	}
	return nil
}

// notHigherError is Publish's refusal of a manifest whose version (the
// value) is not higher than the published one. It is a store.ErrBadState,
// so that a caller can tell it from a manifest that does not verify.
type notHigherError uint64

func (e notHigherError) Error() string {
	return fmt.Sprintf("manifest version %d is not higher than the published one", uint64(e))
}

func (notHigherError) Is(target error) bool { return target == store.ErrBadState }
