package signing_test

import (
	"fmt"
	"os"
	"path/filepath"

	"refuge/crypto/signing"
)

// A root key is generated, saved passphrase-protected, loaded again and used
// to sign; anyone with the public key string verifies.
func Example() {
	key, err := signing.Generate()
	if err != nil {
		panic(err)
	}
	defer key.Destroy()

	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "root.key")
	if err := key.WriteFile(path, []byte("example passphrase")); err != nil {
		panic(err)
	}
	loaded, err := signing.LoadPrivateKey(path, []byte("example passphrase"))
	if err != nil {
		panic(err)
	}
	defer loaded.Destroy()

	sig, err := loaded.Sign([]byte("hello"), "example comment")
	if err != nil {
		panic(err)
	}
	pub, err := signing.ParsePublicKey(key.Public().String()) // "RW…"
	if err != nil {
		panic(err)
	}
	comment, err := pub.Verify([]byte("hello"), sig)
	fmt.Println(comment, err)
	// Output: example comment <nil>
}
