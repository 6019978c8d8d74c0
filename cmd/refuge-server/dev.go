package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/server"
	"refuge/server/store"
)

// devCmd runs a complete throwaway setup: a temporary data directory,
// demo root, acknowledgement and partner keys, a demo officer identity, a
// signed manifest, a courier and a partner token, on 127.0.0.1 only. It
// listens before it makes the directory, so that an address in use (a
// second --dev, most often) leaves nothing behind. The directory holds
// private keys and their passphrase, and the setup is throwaway: it is
// removed when the server stops (Ctrl-C, SIGTERM) or anything fails,
// unless --keep.
func devCmd(ctx context.Context, f serveFlags, stdout, stderr io.Writer, log *slog.Logger) int {
	listen := "127.0.0.1:8443"
	switch len(f.listen) {
	case 0:
	case 1:
		listen = f.listen[0]
	default:
		return fail(stderr, cli.Errorf(exitUsage, "--dev listens on one address"))
	}
	if host, _, err := net.SplitHostPort(listen); err != nil || host != "127.0.0.1" {
		return fail(stderr, cli.Errorf(exitUsage, "--dev listens on 127.0.0.1 only (for example --listen 127.0.0.1:0)"))
	}
	if f.tlsCert != "" {
		return fail(stderr, cli.Errorf(exitUsage, "--dev does not serve TLS"))
	}
	l, err := server.Listen(listen)
	if err != nil {
		return listenFailed(stderr, listen, err)
	}
	defer l.Close()
	dir, err := os.MkdirTemp("", "refuge-dev-")
	if err != nil {
		return fail(stderr, cli.Errorf(exitError, "create dev directory: %v", err))
	}
	rc := runDev(ctx, dir, l, f, stdout, stderr, log)
	if f.keep {
		out(stderr).Infof("kept the dev directory %s (--keep): it holds demo private keys and their passphrase; delete it when done", dir)
	} else if !removeDevDir(stderr, dir) && rc == exitOK {
		rc = exitError
	}
	return rc
}

// removeDevDir removes the dev directory and says so in one line, or
// says why it could not (the caller decides the exit code).
func removeDevDir(stderr io.Writer, dir string) bool {
	if err := os.RemoveAll(dir); err != nil {
		out(stderr).Fail(cli.Errorf(exitError, "remove the dev directory %s: %v", dir, err).
			Hint("it holds demo private keys and their passphrase: delete it yourself"))
		return false
	}
	out(stderr).Infof("removed the dev directory %s", dir)
	return true
}

// runDev writes the demo setup into dir and serves it on l until ctx is
// done. The store is closed when it returns.
func runDev(ctx context.Context, dir string, l net.Listener, f serveFlags, stdout, stderr io.Writer, log *slog.Logger) int {
	d, err := makeDevSetup(dir)
	if err != nil {
		return fail(stderr, cli.Errorf(exitError, "dev setup: %v", err))
	}
	st, err := store.Open(filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		return fail(stderr, cli.Errorf(exitError, "%v", err))
	}
	defer st.Close()
	if err := server.Publish(ctx, st, d.root, d.manifest, d.sig, time.Now()); err != nil {
		return fail(stderr, cli.Errorf(exitError, "publish dev manifest: %v", err))
	}
	courier, err := addToken(ctx, st, store.RoleCourier, "dev-courier")
	if err == nil {
		d.courierToken = courier
		d.partnerToken, err = addToken(ctx, st, store.RolePartner, "dev-partner")
	}
	if err != nil {
		return fail(stderr, cli.Errorf(exitError, "dev tokens: %v", err))
	}
	for _, t := range []struct{ name, tok string }{{"courier.token", d.courierToken}, {"partner.token", d.partnerToken}} {
		if err := writeNew(filepath.Join(dir, t.name), []byte(t.tok+"\n")); err != nil {
			return fail(stderr, cli.Errorf(exitError, "%v", err))
		}
	}
	f.data = filepath.Join(dir, "data")
	err = serve(ctx, st, d.root, []net.Listener{l}, f, nil, log, func(addr string) {
		printDevBanner(stdout, dir, addr, d, f.keep)
	})
	if err != nil {
		return fail(stderr, cli.Errorf(exitError, "%v", err))
	}
	return exitOK
}

type devSetup struct {
	root                       signing.PublicKey
	manifest, sig              []byte
	recipient                  string
	courierToken, partnerToken string
}

// makeDevSetup writes the demo keys into dir, each file new and 0600:
//
//	passphrase.txt                          the demo passphrase of every key file below
//	officer.key, officer.pub                the officer identity (age, passphrase-encrypted)
//	ack.key, ack.pub                        acknowledgement key (minisign, encrypted)
//	partner.key, partner.pub                a demo partner's key (minisign, encrypted)
//	root.pub                                the root public key (the private key is
//	                                        never written: it signs once, in memory)
//	manifest.json, manifest.json.minisig    the signed key manifest, version 1
//
// The demo key files are encrypted at a deliberately weak KDF cost so that
// the whole setup starts in a second and every later command loads them
// quickly; they are still in the standard formats (minisign records its
// scrypt cost in the file; age its work factor), so stock minisign and age
// read them. Real keys, made with refuge-officer, use full cost.
// demoScryptLogN is the age scrypt work factor of the demo officer key:
// 2^12 (4 MiB), against age's default of 2^18.
const demoScryptLogN = 12

func makeDevSetup(dir string) (devSetup, error) {
	var d devSetup
	var pass [12]byte
	if _, err := rand.Read(pass[:]); err != nil {
		return d, err
	}
	passphrase := []byte(hex.EncodeToString(pass[:]))
	if err := writeNew(filepath.Join(dir, "passphrase.txt"), append(passphrase, '\n')); err != nil {
		return d, err
	}
	root, err := signing.Generate()
	if err != nil {
		return d, err
	}
	defer root.Destroy()
	d.root = root.Public()
	if err := writeNew(filepath.Join(dir, "root.pub"), d.root.PubFile()); err != nil {
		return d, err
	}
	var pubs [2]signing.PublicKey
	for i, name := range []string{"ack", "partner"} {
		k, err := signing.Generate()
		if err != nil {
			return d, err
		}
		err = k.WriteDemoFile(filepath.Join(dir, name+".key"), passphrase)
		pubs[i] = k.Public()
		k.Destroy()
		if err != nil {
			return d, fmt.Errorf("write %s.key: %w", name, err)
		}
		if err := writeNew(filepath.Join(dir, name+".pub"), pubs[i].PubFile()); err != nil {
			return d, err
		}
	}
	if d.recipient, err = newOfficerKey(dir, string(passphrase)); err != nil {
		return d, err
	}
	m := manifest.Manifest{
		Version:    1,
		Expires:    time.Now().UTC().AddDate(0, 0, 30).Format(manifest.DateLayout),
		Recipients: []string{d.recipient},
		Partners:   []manifest.Partner{{Name: "dev-partner", Key: pubs[1].String()}},
		AckKey:     pubs[0].String(),
	}
	if d.manifest, d.sig, err = manifest.Sign(m, root, time.Now()); err != nil {
		return d, err
	}
	if err := writeNew(filepath.Join(dir, manifest.FileName), d.manifest); err != nil {
		return d, err
	}
	return d, writeNew(filepath.Join(dir, manifest.SignatureFileName), d.sig)
}

// newOfficerKey writes officer.key: the age identity text as age-keygen
// -pq writes it, encrypted with age's scrypt recipient to the demo
// passphrase, so stock `age -d -i officer.key` also works.
func newOfficerKey(dir, passphrase string) (string, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return "", err
	}
	rcpt := id.Recipient().String()
	sr, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return "", err
	}
	sr.SetWorkFactor(demoScryptLogN) // throwaway demo key: fast, and weak on purpose
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

func printDevBanner(w io.Writer, dir, addr string, d devSetup, keep bool) {
	bar := strings.Repeat("!", 78)
	stays, stop := "Ctrl-C deletes the directory, keys and all (--keep leaves it).", "and delete "+dir
	if keep {
		stays, stop = "With --keep it all stays on disk until you delete it.", "("+dir+" stays)"
	}
	fmt.Fprintf(w, `%[1]s
!!  refuge-server is running in DEV MODE. DO NOT USE IT FOR REAL SUBMISSIONS.
!!  Every key below is a throwaway demo key in a temporary directory, the
!!  passphrase of every key is in a plain file, and there is no TLS.
!!  %[5]s
%[1]s

Server:          %[3]s
Directory:       %[2]s
Root public key: %[4]s
Passphrase:      %[2]s/passphrase.txt (officer.key, ack.key, partner.key)
Courier token:   %[2]s/courier.token
Partner token:   %[2]s/partner.token

Try the whole journey: paste these lines into another terminal, in an empty
folder, with refuge and refuge-officer on your PATH (docs/walkthrough.md
explains each step).

  D=%[2]s S=%[3]s R=%[4]s
  export REFUGE_STATE_DIR=$D/state
  echo "evidence of the raid" > evidence.txt; echo "I must leave soon." > note.txt

  # 1. A defender submits (keep the receipt phrase; here it also goes to a file):
  refuge submit --server $S --root-pub $R --note-file note.txt --receipt-out phrase1.txt evidence.txt

  # 2. Another defender seals offline; a partner relays the bundle and its ticket:
  refuge seal --manifest $D/manifest.json --root-pub $R --receipt-out phrase2.txt -o bundle.age evidence.txt
  refuge relay --server $S --token "$(cat $D/partner.token)" bundle.age

  # 3. The partner files a signed referral:
  refuge refer --server $S --root-pub $R --token "$(cat $D/partner.token)" --partner dev-partner --partner-key $D/partner.key --passphrase-file $D/passphrase.txt --defender "A. N. Defender" --nationality Xland --country Yland --work "land rights" --risk "arrest warrant" --urgency high --contact "signal, ask for the coordinator" --referring-org "Dev NGO" --consent --receipt-out phrase3.txt evidence.txt

  # 4. The courier pulls the ciphertext (and verifies the server's event log):
  refuge courier pull --server $S --token "$(cat $D/courier.token)" -o usb/inbox

  # 5. The officer opens everything on the air-gapped machine, with a report per
  #    submission and signed acknowledgements in the outbox:
  refuge-officer open -i $D/officer.key --passphrase-file $D/passphrase.txt -o opened --manifest $D/manifest.json --root-pub $R --ack-key $D/ack.key --outbox usb/outbox usb/inbox/*.age
  cat opened/*/report.txt
  #    The escape hatch, stock age and tar (type the passphrase from $D/passphrase.txt):
  #    f=$(ls usb/inbox/*.age | head -n 1); mkdir stock; age -d -i $D/officer.key "$f" | tar x -C stock

  # 6. The officer answers every submission, signed with the acknowledgement key:
  for s in opened/*/; do refuge-officer reply --ack-key $D/ack.key --passphrase-file $D/passphrase.txt --manifest $D/manifest.json --root-pub $R --to "$s" --message "Received. We will contact you." -o usb/outbox; done

  # 7. The courier pushes the replies and acknowledgements; the server deletes the ciphertext:
  refuge courier push --server $S --token "$(cat $D/courier.token)" usb/outbox

  # 8. The defender reads the answer with the phrase (typed, or from the file), and
  #    the root key checks that the officers signed it:
  refuge replies --server $S --root-pub $R < phrase1.txt
  refuge status --server $S < phrase1.txt

  # 9. The event log still verifies, and records the deletions:
  refuge courier pull --server $S --token "$(cat $D/courier.token)" -o usb/inbox
  grep ' deleted ' usb/inbox/events.log

Press Ctrl-C to stop the server %[6]s.
`, bar, dir, addr, d.root.String(), stays, stop)
}
