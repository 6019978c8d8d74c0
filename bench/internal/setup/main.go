// Command setup writes the throwaway keys that bench/run needs into a
// directory: an officer identity in clear for stock age (key.txt), the same
// identity passphrase-encrypted for refuge-officer (officer.key, pass.txt; and
// officer-light.key, at scrypt work factor 12 as refuge-server --dev writes
// its demo key, to measure open's memory without the 256 MiB of the unlock),
// its recipient (recipient.txt), and a key manifest signed by a root key that
// exists only in memory (manifest.json, manifest.json.minisig, root.pub).
// It is a benchmark tool; none of these keys protects anything.
//
//	setup DIR
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: setup DIR")
		os.Exit(2)
	}
	if err := setup(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
}

func setup(dir string) error {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return err
	}
	rcpt := id.Recipient().String()
	idText := fmt.Sprintf("# public key: %s\n%s\n", rcpt, id.String())

	var p [12]byte
	if _, err := rand.Read(p[:]); err != nil {
		return err
	}
	pass := hex.EncodeToString(p[:])
	enc, err := encryptKey(idText, pass, 18) // age's default
	if err != nil {
		return err
	}
	light, err := encryptKey(idText, pass, 12)
	if err != nil {
		return err
	}

	root, err := signing.Generate()
	if err != nil {
		return err
	}
	defer root.Destroy()
	ack, err := signing.Generate()
	if err != nil {
		return err
	}
	defer ack.Destroy()
	m, sig, err := manifest.Sign(manifest.Manifest{
		Version: 1, Expires: time.Now().UTC().AddDate(0, 0, 7).Format(manifest.DateLayout),
		Recipients: []string{rcpt}, AckKey: ack.Public().String(),
	}, root, time.Now())
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{"key.txt", []byte(idText)},
		{"officer.key", enc},
		{"officer-light.key", light},
		{"pass.txt", []byte(pass + "\n")},
		{"recipient.txt", []byte(rcpt + "\n")},
		{"root.pub", []byte(root.Public().String() + "\n")},
		{manifest.FileName, m},
		{manifest.SignatureFileName, sig},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// encryptKey encrypts the identity text with age's scrypt recipient at
// work factor logN.
func encryptKey(idText, pass string, logN int) ([]byte, error) {
	sr, err := age.NewScryptRecipient(pass)
	if err != nil {
		return nil, err
	}
	sr.SetWorkFactor(logN)
	var enc bytes.Buffer
	w, err := age.Encrypt(&enc, sr)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte(idText)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return enc.Bytes(), nil
}
