package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/server"
	"refuge/server/store"
)

// devCmd runs a complete throwaway setup: a temporary data directory,
// demo root, acknowledgement and partner keys, a demo officer identity, a
// signed manifest, a courier and a partner token, on 127.0.0.1 only.
func devCmd(ctx context.Context, f serveFlags, stdout, stderr io.Writer, log *slog.Logger) int {
	if f.listen == "" {
		f.listen = "127.0.0.1:8443"
	}
	if host, _, err := net.SplitHostPort(f.listen); err != nil || host != "127.0.0.1" {
		errorf(stderr, nil, "--dev listens on 127.0.0.1 only (for example --listen 127.0.0.1:0)")
		return exitUsage
	}
	if f.tlsCert != "" {
		errorf(stderr, nil, "--dev does not serve TLS")
		return exitUsage
	}
	dir, err := os.MkdirTemp("", "refuge-dev-")
	if err != nil {
		errorf(stderr, nil, "create dev directory: %v", err)
		return exitError
	}
	d, err := makeDevSetup(dir)
	if err != nil {
		errorf(stderr, nil, "dev setup: %v", err)
		return exitError
	}
	st, err := store.Open(filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		errorf(stderr, nil, "%v", err)
		return exitError
	}
	defer st.Close()
	if err := server.Publish(ctx, st, d.root, d.manifest, d.sig, store.DayOf(time.Now())); err != nil {
		errorf(stderr, nil, "publish dev manifest: %v", err)
		return exitError
	}
	courier, err := addToken(ctx, st, store.RoleCourier, "dev-courier")
	if err == nil {
		d.courierToken = courier
		d.partnerToken, err = addToken(ctx, st, store.RolePartner, "dev-partner")
	}
	if err != nil {
		errorf(stderr, nil, "dev tokens: %v", err)
		return exitError
	}
	for _, t := range []struct{ name, tok string }{{"courier.token", d.courierToken}, {"partner.token", d.partnerToken}} {
		if err := writeNew(filepath.Join(dir, t.name), []byte(t.tok+"\n")); err != nil {
			errorf(stderr, nil, "%v", err)
			return exitError
		}
	}
	err = serve(ctx, st, d.root, f, log, func(addr string) {
		printDevBanner(stdout, dir, addr, d)
	})
	if err != nil {
		errorf(stderr, nil, "%v", err)
		return exitError
	}
	return exitOK
}

type devSetup struct {
	root                       minisign.PublicKey
	manifest, sig              []byte
	recipient                  string
	courierToken, partnerToken string
}

// makeDevSetup writes the demo keys into dir, each file new and 0600:
//
//	root.key, root.pub                     manifest signing key (minisign)
//	ack.key, ack.pub                       acknowledgement key (minisign)
//	partner.key, partner.pub               a demo partner's key (minisign)
//	officer.key, officer.pass, officer.pub  the officer identity, age-encrypted
//	                                        with the passphrase in officer.pass
//	manifest.json, manifest.json.minisig   the signed key manifest, version 1
//
// The minisign private keys are written unencrypted (stock minisign reads
// them; this is a throwaway demo).
func makeDevSetup(dir string) (devSetup, error) {
	var d devSetup
	rootPub, rootKey, err := newMinisignKey(dir, "root")
	if err != nil {
		return d, err
	}
	ackPub, _, err := newMinisignKey(dir, "ack")
	if err != nil {
		return d, err
	}
	partnerPub, _, err := newMinisignKey(dir, "partner")
	if err != nil {
		return d, err
	}
	if d.recipient, err = newOfficerKey(dir); err != nil {
		return d, err
	}
	m := map[string]any{
		"format":     "refuge-manifest-v1",
		"version":    1,
		"expires":    time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"),
		"recipients": []string{d.recipient},
		"partners":   []map[string]string{{"name": "dev-partner", "key": partnerPub.String()}},
		"ack_key":    ackPub.String(),
	}
	if d.manifest, err = json.MarshalIndent(m, "", "  "); err != nil {
		return d, err
	}
	d.manifest = append(d.manifest, '\n')
	d.sig = minisign.Sign(rootKey, d.manifest)
	d.root = rootPub
	if err := writeNew(filepath.Join(dir, "manifest.json"), d.manifest); err != nil {
		return d, err
	}
	return d, writeNew(filepath.Join(dir, "manifest.json.minisig"), d.sig)
}

func newMinisignKey(dir, name string) (minisign.PublicKey, minisign.PrivateKey, error) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return pub, priv, err
	}
	privText, _ := priv.MarshalText()
	pubText, _ := pub.MarshalText()
	if err := writeNew(filepath.Join(dir, name+".key"), append(privText, '\n')); err != nil {
		return pub, priv, err
	}
	return pub, priv, writeNew(filepath.Join(dir, name+".pub"), append(pubText, '\n'))
}

// newOfficerKey writes officer.key: the age identity text as age-keygen
// -pq writes it, encrypted to a random demo passphrase kept in
// officer.pass, so stock `age -d -i officer.key` also works.
func newOfficerKey(dir string) (string, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return "", err
	}
	rcpt := id.Recipient().String()
	var pass [12]byte
	if _, err := rand.Read(pass[:]); err != nil {
		return "", err
	}
	passphrase := hex.EncodeToString(pass[:])
	sr, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, sr)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(w, "# created: %s\n# public key: %s\n%s\n", time.Now().UTC().Format("2006-01-02"), rcpt, id.String())
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := writeNew(filepath.Join(dir, "officer.key"), buf.Bytes()); err != nil {
		return "", err
	}
	if err := writeNew(filepath.Join(dir, "officer.pass"), []byte(passphrase+"\n")); err != nil {
		return "", err
	}
	return rcpt, writeNew(filepath.Join(dir, "officer.pub"), []byte(rcpt+"\n"))
}

// writeNew creates path (never overwriting) with mode 0600 and syncs it.
func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printDevBanner(w io.Writer, dir, addr string, d devSetup) {
	bar := strings.Repeat("!", 78)
	fmt.Fprintf(w, `%[1]s
!!  refuge-server is running in DEV MODE. DO NOT USE IT FOR REAL SUBMISSIONS.
!!  Every key below is a throwaway demo key written to a temporary
!!  directory, the officer passphrase is in a plain file, nothing is TLS,
!!  and all of it is deleted only when you delete %[2]s.
%[1]s

Server:        %[3]s
Directory:     %[2]s
Root key:      %[4]s
Officer key:   %[2]s/officer.key   (passphrase in %[2]s/officer.pass)
Courier token: %[2]s/courier.token
Partner token: %[2]s/partner.token

Try the whole journey (each command in a second terminal):

  # 1. a defender seals files offline (or submits directly; client issue):
  refuge seal --manifest %[2]s/manifest.json --root-pub %[4]s -o bundle.age FILE...
  refuge submit --server %[3]s --root-pub %[4]s FILE...            [client issue]

  # 2. a partner relays a sealed bundle:
  refuge relay --server %[3]s --root-pub %[4]s --token "$(cat %[2]s/partner.token)" bundle.age   [client issue]

  # 3. the courier pulls the ciphertext:
  refuge courier pull --server %[3]s --token "$(cat %[2]s/courier.token)" -o pulled/   [client issue]

  # 4. the officer opens it (the passphrase is in officer.pass):
  refuge-officer open -i %[2]s/officer.key pulled/*.age -o opened/
  #    or with stock tools:  age -d -i %[2]s/officer.key pulled/<id>.age | tar x

  # 5. the defender checks status and reads replies with the receipt phrase:
  refuge status --server %[3]s     [client issue]
  refuge replies --server %[3]s    [client issue]

Press Ctrl-C to stop.
`, bar, dir, addr, d.root.String())
}
