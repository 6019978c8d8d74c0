package store

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The tokens bucket holds at tokenKey(role, name) the newest token of
// that role and name, active or revoked. When a new token takes a name
// whose token is revoked (AddToken after RevokeToken, or ReissueToken),
// the revoked record moves first to retiredKey(role, name, seq), seq from
// the bucket's sequence, where it stays. So at most one token of a role
// and name is active, always at tokenKey, and a store written before
// retired keys existed (every record at tokenKey) is read as it is, with
// no migration. A name holds no NUL (validName), so no tokenKey is a
// retiredKey.

// retiredKey is tokenKey, a NUL and seq (8 bytes, big-endian).
func retiredKey(role Role, name string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(tokenKey(role, name), 0), seq)
}

// validateToken checks a token to store and sets an empty Created to
// today.
func (s *BoltStore) validateToken(t *Token) error {
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
	return nil
}

// AddToken stores a partner's or courier's token record. A name is taken
// while a token of that role and name is active; a verifier is unique
// across all tokens, revoked ones too.
func (s *BoltStore) AddToken(ctx context.Context, t Token) error {
	if err := s.validateToken(&t); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var old tokenRecord
		had, err := get(b, tokenKey(t.Role, t.Name), &old)
		if err != nil {
			return err
		}
		if had && !old.Revoked {
			return fmt.Errorf("token name: %w", ErrExists)
		}
		return replaceToken(b, old, had, t)
	})
}

// ReissueToken revokes the token of t's role and name if it is active,
// and stores t in its place, in one transaction.
func (s *BoltStore) ReissueToken(ctx context.Context, t Token) (bool, error) {
	if err := s.validateToken(&t); err != nil {
		return false, err
	}
	if t.Revoked {
		return false, invalid("a reissued token cannot be revoked already")
	}
	var revoked bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var old tokenRecord
		had, err := get(b, tokenKey(t.Role, t.Name), &old)
		if err != nil {
			return err
		}
		if !had {
			return notFound("token")
		}
		revoked = !old.Revoked
		return replaceToken(b, old, had, t)
	})
	return revoked && err == nil, err
}

// replaceToken stores t at its tokenKey, where old is (if had): old is
// revoked and retired first. It refuses t's verifier if any token, old
// included, has it.
func replaceToken(b *bolt.Bucket, old tokenRecord, had bool, t Token) error {
	if _, found, err := findVerifier(b, t.Verifier); err != nil {
		return err
	} else if found {
		return fmt.Errorf("token: %w", ErrExists)
	}
	if had {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		old.Revoked = true
		if err := put(b, retiredKey(old.Role, old.Name, seq), &old); err != nil {
			return err
		}
	}
	rec := tokenRecord{Name: t.Name, Role: t.Role, Verifier: t.Verifier, Created: t.Created, Revoked: t.Revoked}
	return put(b, tokenKey(t.Role, t.Name), &rec)
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
// even a leak of the index order would not help to forge one.) Retired
// records are compared too: a verifier is never used twice.
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

// Tokens lists every token record, by role then name, a name's tokens
// oldest first: the retired ones in the order they were retired, then
// the one at its tokenKey.
func (s *BoltStore) Tokens(ctx context.Context) ([]Token, error) {
	type ranked struct {
		t    Token
		rank uint64
	}
	var rs []ranked
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(k, data []byte) error {
			var rec tokenRecord
			if err := jsonUnmarshal(data, &rec); err != nil {
				return err
			}
			rank := uint64(math.MaxUint64)
			if n := len(tokenKey(rec.Role, rec.Name)); len(k) == n+9 {
				rank = binary.BigEndian.Uint64(k[n+1:])
			}
			rs = append(rs, ranked{rec.token(), rank})
			return nil
		})
	})
	slices.SortStableFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.t.Role, b.t.Role), cmp.Compare(a.t.Name, b.t.Name), cmp.Compare(a.rank, b.rank))
	})
	var ts []Token
	for _, r := range rs {
		ts = append(ts, r.t)
	}
	return ts, err
}
