package main

import (
	"bytes"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
)

// makeFixtures gives a script fresh test keys and manifests, made with the
// crypto packages directly (so the client's tests do not depend on the
// officer tool). Every key here is a throwaway made for one script.
//
//	identity.txt                 the officer's age identity (plaintext: test only)
//	manifest.json(.minisig)      version 2, valid until 2099, signed by $ROOTPUB
//	v1.json(.minisig)            version 1, validly signed: a rollback after v2
//	expired.json(.minisig)       version 3, expired in 2020
//	forged.json(.minisig)        manifest.json changed after signing
//	unsigned.json                no signature file
//	$OTHERPUB                    a root key that signed none of them
func makeFixtures(env *testscript.Env) error {
	vars, err := writeFixtures(env.WorkDir)
	for k, v := range vars {
		env.Setenv(k, v)
	}
	return err
}

// writeFixtures writes the fixtures into dir and returns ROOTPUB and
// OTHERPUB.
func writeFixtures(dir string) (map[string]string, error) {
	vars := map[string]string{}
	root, err := signing.Generate()
	if err != nil {
		return nil, err
	}
	defer root.Destroy()
	other, err := signing.Generate()
	if err != nil {
		return nil, err
	}
	defer other.Destroy()
	officer, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, err
	}
	vars["ROOTPUB"] = root.Public().String()
	vars["OTHERPUB"] = other.Public().String()
	write := func(name string, data []byte) error {
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	if err := write("identity.txt", []byte(officer.String()+"\n")); err != nil {
		return nil, err
	}
	sign := func(name string, version uint64, expires string, now time.Time) ([]byte, []byte, error) {
		m := manifest.Manifest{Version: version, Expires: expires, Recipients: []string{officer.Recipient().String()}}
		doc, sig, err := manifest.Sign(m, root, now)
		if err != nil {
			return nil, nil, err
		}
		if err := write(name, doc); err != nil {
			return nil, nil, err
		}
		return doc, sig, write(name+".minisig", sig)
	}
	now := time.Now()
	doc, sig, err := sign("manifest.json", 2, "2099-12-31", now)
	if err != nil {
		return nil, err
	}
	if _, _, err := sign("v1.json", 1, "2099-12-31", now); err != nil {
		return nil, err
	}
	if _, _, err := sign("expired.json", 3, "2020-06-30", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		return nil, err
	}
	forged := bytes.Replace(doc, []byte("2099-12-31"), []byte("2099-12-30"), 1)
	if err := write("forged.json", forged); err != nil {
		return nil, err
	}
	if err := write("forged.json.minisig", sig); err != nil {
		return nil, err
	}
	return vars, write("unsigned.json", doc)
}
