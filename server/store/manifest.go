package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// maxManifest bounds the manifest and its signature, as the manifest
// format does (64 KiB).
const maxManifest = 64 << 10

var manifestKey = []byte("current")

// Manifest returns the current signed key manifest.
func (s *BoltStore) Manifest(ctx context.Context) (manifest, signature []byte, version uint64, err error) {
	var rec manifestRecord
	err = s.db.View(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bucketManifest), manifestKey, &rec)
		if err == nil && !ok {
			err = notFound("manifest")
		}
		return err
	})
	if err != nil {
		return nil, nil, 0, err
	}
	return rec.Manifest, rec.Signature, rec.Version, nil
}

// PutManifest replaces the manifest by one with a higher version.
func (s *BoltStore) PutManifest(ctx context.Context, manifest, signature []byte, version uint64) error {
	switch {
	case len(manifest) == 0 || len(manifest) > maxManifest:
		return invalid("manifest must be 1 byte to 64 KiB")
	case len(signature) == 0 || len(signature) > maxManifest:
		return invalid("manifest signature must be 1 byte to 64 KiB")
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketManifest)
		var cur manifestRecord
		ok, err := get(b, manifestKey, &cur)
		if err != nil {
			return err
		}
		if ok && version <= cur.Version {
			return fmt.Errorf("manifest version %d is not above %d: %w", version, cur.Version, ErrBadState)
		}
		return put(b, manifestKey, &manifestRecord{Manifest: manifest, Signature: signature, Version: version})
	})
}
