package main

// Interim key-manifest verification, used until crypto/manifest (branch
// crypto-keys) lands; it follows the format decided in the brief and is
// to be replaced by manifest.Verify.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"
)

type keyManifest struct {
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

// verifyManifest checks the manifest against the pinned root key
// (signature, expiry, recipients all age1pq1, no rollback below the
// highest version seen for that root key) and returns its recipients.
func verifyManifest(rootPub string, m, sig []byte, stateDir string, now time.Time) ([]age.Recipient, uint64, error) {
	var root minisign.PublicKey
	if err := root.UnmarshalText([]byte(rootPub)); err != nil {
		return nil, 0, errors.New("the pinned root key is not a minisign public key")
	}
	if len(m) > 64<<10 {
		return nil, 0, errors.New("the manifest is larger than 64 KiB")
	}
	if !minisign.Verify(root, m, sig) {
		return nil, 0, errors.New("its signature does not verify against the pinned root key (forged, or signed by another key)")
	}
	var km keyManifest
	dec := json.NewDecoder(bytes.NewReader(m))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&km); err != nil || dec.More() || km.Format != "refuge-manifest-v1" {
		return nil, 0, errors.New("it is not a refuge-manifest-v1 document")
	}
	exp, err := time.Parse("2006-01-02", km.Expires)
	if err != nil {
		return nil, 0, errors.New("its expiry is not a date")
	}
	if now.UTC().After(exp.AddDate(0, 0, 1)) || !now.UTC().Before(exp.AddDate(0, 0, 1)) {
		return nil, 0, fmt.Errorf("it expired on %s", km.Expires)
	}
	if len(km.Recipients) == 0 {
		return nil, 0, errors.New("it lists no recipients")
	}
	var rs []age.Recipient
	for _, s := range km.Recipients {
		if !strings.HasPrefix(s, "age1pq1") {
			return nil, 0, errors.New("it lists a recipient that is not post-quantum (age1pq1…)")
		}
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return nil, 0, errors.New("it lists a malformed recipient")
		}
		rs = append(rs, r)
	}
	seenPath := filepath.Join(stateDir, "seen-manifests.json")
	seen := map[string]uint64{}
	if data, err := os.ReadFile(seenPath); err == nil {
		_ = json.Unmarshal(data, &seen)
	}
	if km.Version < seen[rootPub] {
		return nil, 0, fmt.Errorf("its version %d is older than version %d already seen (a rollback)", km.Version, seen[rootPub])
	}
	if km.Version > seen[rootPub] {
		seen[rootPub] = km.Version
		data, _ := json.Marshal(seen)
		if err := writeFileAtomic(seenPath, data); err != nil {
			return nil, 0, fmt.Errorf("cannot record the manifest version: %v", err)
		}
	}
	return rs, km.Version, nil
}
