package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"aead.dev/minisign"

	"refuge/server/api"
	"refuge/server/store"
)

// maxManifest is the largest manifest.json accepted (the format's limit).
const maxManifest = 64 << 10

// manifestDoc is the part of the key manifest the server relies on.
// The format is decided in the project brief (crypto/manifest).
type manifestDoc struct {
	Format     string   `json:"format"`
	Version    uint64   `json:"version"`
	Expires    string   `json:"expires"`
	Recipients []string `json:"recipients"`
	Partners   []struct {
		Name string `json:"name"`
		Key  string `json:"key"`
	} `json:"partners"`
	AckKey string `json:"ack_key"`
}

// parseManifest decodes manifest.json strictly and checks its shape (not
// its signature).
func parseManifest(b []byte, today store.Day) (manifestDoc, error) {
	var m manifestDoc
	if len(b) > maxManifest {
		return m, errors.New("manifest is larger than 64 KiB")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, errors.New("manifest is not valid manifest JSON")
	}
	if dec.More() {
		return m, errors.New("manifest has data after the JSON value")
	}
	if m.Format != "refuge-manifest-v1" {
		return m, errors.New("manifest format is not refuge-manifest-v1")
	}
	exp, err := time.Parse("2006-01-02", m.Expires)
	if err != nil {
		return m, errors.New("manifest expiry is not a date")
	}
	if store.DayOf(exp) < today {
		return m, errors.New("manifest has expired")
	}
	if len(m.Recipients) == 0 {
		return m, errors.New("manifest has no recipients")
	}
	for _, r := range m.Recipients {
		if !strings.HasPrefix(r, "age1pq1") {
			return m, errors.New("manifest has a recipient that is not post-quantum (age1pq1…)")
		}
	}
	var ack minisign.PublicKey
	if err := ack.UnmarshalText([]byte(m.AckKey)); err != nil {
		return m, errors.New("manifest ack_key is not a minisign public key")
	}
	return m, nil
}

// currentManifest returns the published manifest, parsed.
func (s *Server) currentManifest(r *http.Request) (manifestDoc, *api.Error) {
	b, _, _, err := s.cfg.Store.Manifest(r.Context())
	if errors.Is(err, store.ErrNotFound) {
		return manifestDoc{}, api.Errorf(api.CodeUnavailable, "no key manifest has been published yet")
	}
	if err != nil {
		return manifestDoc{}, s.storeError("manifest", err)
	}
	var m manifestDoc
	if err := json.Unmarshal(b, &m); err != nil {
		return m, s.storeError("manifest", fmt.Errorf("stored manifest does not parse: %w", err))
	}
	return m, nil
}

func (s *Server) getManifest(sig bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, ms, _, err := s.cfg.Store.Manifest(r.Context())
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, api.Errorf(api.CodeNotFound, "no key manifest has been published yet"))
			return
		}
		if err != nil {
			writeError(w, s.storeError("manifest", err))
			return
		}
		body, ct := m, "application/json"
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
	if e := s.readJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	mb, sb := []byte(req.Manifest), []byte(req.Signature)
	if !minisign.Verify(s.cfg.RootKey, mb, sb) {
		writeError(w, api.Errorf(api.CodeUnprocessable, "manifest signature does not verify against the server's root key"))
		return
	}
	m, err := parseManifest(mb, s.today())
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
func Publish(ctx context.Context, st store.Store, rootKey minisign.PublicKey, manifest, signature []byte, today store.Day) error {
	if !minisign.Verify(rootKey, manifest, signature) {
		return errors.New("manifest signature does not verify against the root key")
	}
	m, err := parseManifest(manifest, today)
	if err != nil {
		return err
	}
	return st.PutManifest(ctx, manifest, signature, m.Version)
}
