package store

import (
	"context"
	"crypto/subtle"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// AddToken stores a partner's or courier's token record. A name is unique
// per role, and a verifier is unique across all tokens.
func (s *BoltStore) AddToken(ctx context.Context, t Token) error {
	switch {
	case t.Role != RolePartner && t.Role != RoleCourier:
		return invalid("unknown token role")
	case !validName(t.Name):
		return invalid("token name must be 1 to 64 printable characters")
	case t.Verifier == [32]byte{}:
		return invalid("token verifier is empty")
	case t.Created != "" && !validDay(t.Created):
		return invalid("token creation day is not a date")
	}
	if t.Created == "" {
		t.Created = s.today()
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		key := tokenKey(t.Role, t.Name)
		if b.Get(key) != nil {
			return fmt.Errorf("token name: %w", ErrExists)
		}
		if _, found, err := findVerifier(b, t.Verifier); err != nil {
			return err
		} else if found {
			return fmt.Errorf("token: %w", ErrExists)
		}
		rec := tokenRecord{Name: t.Name, Role: t.Role, Verifier: t.Verifier, Created: t.Created, Revoked: t.Revoked}
		return put(b, key, &rec)
	})
}

// TokenByVerifier finds a token by its verifier.
func (s *BoltStore) TokenByVerifier(ctx context.Context, v [32]byte) (Token, error) {
	var t Token
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, found, err := findVerifier(tx.Bucket(bucketTokens), v)
		if err == nil && !found {
			err = notFound("token")
		}
		t = rec.token()
		return err
	})
	return t, err
}

// findVerifier compares v with every record's verifier in constant time
// and does not stop at a match, so the time taken depends on the number
// of tokens, never on which one matched or how many bytes agreed. (An
// index keyed by verifier would be faster but its B-tree search compares
// bytes with early exit; with a few hundred tokens at most a scan costs
// microseconds. The verifier is SHA-256 of a 256-bit random token, so
// even a leak of the index order would not help to forge one.)
func findVerifier(b *bolt.Bucket, v [32]byte) (tokenRecord, bool, error) {
	var match tokenRecord
	found := 0
	err := b.ForEach(func(_, data []byte) error {
		var rec tokenRecord
		if err := jsonUnmarshal(data, &rec); err != nil {
			return err
		}
		eq := subtle.ConstantTimeCompare(rec.Verifier[:], v[:])
		if eq == 1 {
			match = rec
		}
		found |= eq
		return nil
	})
	return match, found == 1, err
}

func (r tokenRecord) token() Token {
	return Token{Name: r.Name, Role: r.Role, Verifier: r.Verifier, Created: r.Created, Revoked: r.Revoked}
}

// RevokeToken marks a token revoked; revoking it again is no error.
func (s *BoltStore) RevokeToken(ctx context.Context, role Role, name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var rec tokenRecord
		ok, err := get(b, tokenKey(role, name), &rec)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("token")
		}
		rec.Revoked = true
		return put(b, tokenKey(role, name), &rec)
	})
}

// Tokens lists every token record, by role then name.
func (s *BoltStore) Tokens(ctx context.Context) ([]Token, error) {
	var ts []Token
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(_, data []byte) error {
			var rec tokenRecord
			if err := jsonUnmarshal(data, &rec); err != nil {
				return err
			}
			ts = append(ts, rec.token())
			return nil
		})
	})
	return ts, err
}
