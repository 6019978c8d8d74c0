package main

import (
	"errors"

	"refuge/crypto/secrets"
)

// secure prepares the process to hold a receipt phrase, a token or a
// partner key (secrets.Init: no core dumps, memory that can be locked).
// The caller defers the returned purge, which wipes memguard buffers.
func secure() (func(), error) {
	purge, err := secrets.Init()
	if errors.Is(err, secrets.ErrMemlock) {
		return nil, failf("%v", err).Hint("the receipt phrase is kept in locked memory so it never reaches swap; allow at least 64 KiB")
	}
	if err != nil {
		return nil, failf("%v", err)
	}
	return purge, nil
}
