package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"filippo.io/age"

	"refuge/crypto/ack"
	"refuge/crypto/bundle"
	"refuge/crypto/manifest"
	"refuge/crypto/secrets"
	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/internal/lowerhex"
	"refuge/internal/noreplace"
)

const replyHelp = `Usage: refuge-officer reply --to OUTDIR/<submission id>
           (--message-file F | --message TEXT)
           (--ack-key FILE [--manifest FILE --root-pub KEY] | --unsigned)
           [-i FILE [--passphrase-file F]] -o OUTBOX [FILE...]

Writes an answer to the person who sent a submission. --to is the folder
that "open" made for it; the reply is sealed to the reply recipient listed
in that submission's manifest.json (derived from the submitter's receipt
phrase, which only the submitter has), as a bundle of kind "reply": the
message as note.txt and any FILEs under files/, zero-padded to a size bucket
like every bundle, age-encrypted. It goes to
OUTBOX/replies/<submission id>/reply-<random>.age, which "refuge courier push"
uploads; the submitter reads it with "refuge replies" and the phrase. A
reply is at most 256 MiB once sealed, what a server takes: a larger one is
refused here and nothing is written.

The reply is signed with the acknowledgement key (--ack-key, the key
"open --ack-key" uses), as manifest.json.minisig in the bundle: age does
not say who sealed a file, and anyone who knows the submitter's reply
recipient and can place a file on the server could write a "reply". The
submitter's refuge checks the signature against the key manifest's
acknowledgement key and warns about any reply that does not carry it.
With --manifest and --root-pub, reply first checks that --ack-key is the
acknowledgement key of that key manifest, and refuses another (nothing is
written). --unsigned writes a reply without a signature, for a desk
without its acknowledgement key: the person is told it may not come from
the officers, and to confirm it on another channel before acting on it.

With -i, the reply is also encrypted to that officer identity, so the desk
can reread what it sent (age -d -i officer.key). A submission without a
reply recipient (or with a malformed one) cannot be answered: reply fails
and writes nothing. Ctrl-C (or SIGTERM) while it seals stops it: nothing is
written (exit 130).

Flags:
    --to DIR                the opened submission, OUTDIR/<submission id>
    --message TEXT          the message (UTF-8)
    --message-file F        or read it from F (at most 1 MiB of UTF-8)
    --ack-key FILE          acknowledgement key (from ackkey) to sign the reply
    --ack-passphrase-file F its passphrase (default: --passphrase-file)
    --manifest FILE         the key manifest (FILE.minisig beside it), to check
                            --ack-key against (needs --root-pub)
    --root-pub KEY          the root public key that signed it, "RW…"
    --unsigned              write the reply without a signature (warned)
    -i FILE                 officer identity to encrypt to as well (optional)
    --passphrase-file F     read its passphrase from the first line of F
    -o OUTBOX               the outbox the courier pushes

Examples:
    $ refuge-officer reply --ack-key ack.key --manifest manifest.json \
          --root-pub "$(cat root.pub)" --to inbox/0123…cdef \
          --message "Received. Please send a passport scan." \
          -o /media/usb/outbox
    $ refuge-officer reply --ack-key ack.key -i officer.key \
          --to inbox/0123…cdef --message-file answer.txt -o /media/usb/outbox \
          form-a.pdf`

func cmdReply(e *env, args []string) error {
	fs := e.newFlags("reply", replyHelp)
	keyFile := fs.String("i", "", "")
	passFile := fs.String("passphrase-file", "", "")
	to := fs.String("to", "", "")
	message := fs.String("message", "", "")
	messageFile := fs.String("message-file", "", "")
	outbox := fs.String("o", "", "")
	ackKeyFile := fs.String("ack-key", "", "")
	ackPassFile := fs.String("ack-passphrase-file", "", "")
	manifestFile := fs.String("manifest", "", "")
	rootPub := fs.String("root-pub", "", "")
	unsigned := fs.Bool("unsigned", false, "")
	paths, err := cli.ParsePaths(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *to == "":
		return usagef("reply", "missing --to OUTDIR/<submission id>")
	case *outbox == "":
		return usagef("reply", "missing -o OUTBOX")
	case (*message == "") == (*messageFile == ""):
		return usagef("reply", "give exactly one of --message TEXT and --message-file F")
	case *ackKeyFile == "" && !*unsigned:
		return usagef("reply", "missing --ack-key FILE, the acknowledgement key that signs the reply").
			Hint("without a signature the person cannot tell the reply from one planted by whoever knows their reply key; --unsigned writes one anyway, and they are warned it may not come from the officers")
	case *ackKeyFile != "" && *unsigned:
		return usagef("reply", "--ack-key and --unsigned do not go together")
	case *ackKeyFile == "" && (*manifestFile != "" || *rootPub != "" || *ackPassFile != ""):
		return usagef("reply", "--manifest, --root-pub and --ack-passphrase-file go with --ack-key")
	case *manifestFile == "" && *rootPub != "":
		return usagef("reply", "--root-pub needs --manifest FILE")
	}
	msg, err := replyMessage(*message, *messageFile)
	if err != nil {
		return err
	}
	m, rcpt, err := replyRecipient(*to)
	if err != nil {
		return err
	}
	files, err := bundle.CollectFiles(paths)
	if err != nil {
		return failf("%v", err)
	}
	var km *manifest.Manifest
	if *manifestFile != "" {
		if km, err = loadKeyManifest("reply", *manifestFile, *rootPub); err != nil {
			return err
		}
	}
	recipients := []age.Recipient{rcpt}
	if *keyFile != "" || *ackKeyFile != "" {
		if err := e.secure(); err != nil {
			return err
		}
	}
	// Ctrl-C or SIGTERM stops the sealing; the temporary file goes.
	ctx, stop := secrets.Interruptible()
	defer stop()
	if *keyFile != "" {
		id, err := e.loadIdentity(*keyFile, *passFile)
		if err != nil {
			return err
		}
		recipients = append(recipients, id.Recipient())
	}
	contents := bundle.Contents{Files: files, Note: msg, SubmissionID: m.SubmissionID, Kind: bundle.KindReply}
	var ackKey *signing.PrivateKey
	if *ackKeyFile != "" {
		if err := stopped(ctx, "nothing was written"); err != nil {
			return err
		}
		if *ackPassFile == "" {
			*ackPassFile = *passFile
		}
		ackKey, err = e.loadAckKey(*ackKeyFile, *ackPassFile, km,
			"the person's refuge would show the reply with a warning that it may not come from the officers; nothing was written")
		if err != nil {
			return err
		}
		defer ackKey.Destroy()
		contents.Sign = ack.SignReply(ackKey, m.SubmissionID)
	}
	path, err := sealReply(ctx, *outbox, m.SubmissionID, recipients, contents, maxReplySize)
	if serr := stopped(ctx, "the reply was not written, nothing of it was kept"); err != nil && serr != nil {
		return serr.Hint("run the same command again to write it")
	}
	if errors.Is(err, errReplyTooLarge) {
		return failf("the reply would be larger than the %d MiB a server takes for one reply; nothing was written", maxReplySize>>20).
			Hint("attach fewer or smaller files, or send them in more than one reply")
	}
	if err != nil {
		return failf("%v", err).Hint("nothing was written in %s", *outbox)
	}
	fmt.Fprintln(e.stdout, path)
	what := "the message"
	if len(files) > 0 {
		what += " and " + cli.Plural(len(files), "file")
	}
	switch {
	case ackKey == nil:
		e.out.Infof("sealed the reply to submission %s (%s) into the outbox", m.SubmissionID, what)
		e.out.Warnf("the reply is NOT signed (--unsigned): the person will be told it may not come from the officers, and to confirm it through another channel before acting on it")
	case km == nil:
		e.out.Infof("sealed the reply to submission %s (%s) into the outbox, signed with the acknowledgement key %s", m.SubmissionID, what, ackKey.Public().KeyID())
		e.out.Hintf("not checked against a key manifest: give --manifest FILE --root-pub KEY to check that this is the manifest's acknowledgement key")
	default:
		e.out.Infof("sealed the reply to submission %s (%s) into the outbox, signed with the acknowledgement key of key manifest version %d", m.SubmissionID, what, km.Version)
	}
	e.out.Hintf("the courier uploads it from the online machine with: refuge courier push --server URL --token T %s", *outbox)
	return nil
}

// replyMessage returns the message from --message or --message-file.
func replyMessage(text, file string) ([]byte, error) {
	msg := []byte(text)
	if file != "" {
		f, err := os.Open(file) // #nosec G304 -- a message file named by the officer
		if err != nil {
			return nil, failf("cannot read the message: %v", err)
		}
		defer f.Close()
		if msg, err = io.ReadAll(io.LimitReader(f, bundle.MaxNoteSize+1)); err != nil {
			return nil, failf("cannot read the message: %v", err)
		}
	}
	switch {
	case len(msg) > bundle.MaxNoteSize:
		return nil, failf("the message is larger than %d bytes; attach long texts as files", bundle.MaxNoteSize)
	case !utf8.Valid(msg):
		return nil, failf("the message is not UTF-8 text")
	case len(msg) == 0:
		return nil, failf("the message is empty")
	}
	return msg, nil
}

// replyRecipient reads the manifest.json of an opened submission and
// returns it with its reply recipient.
func replyRecipient(dir string) (*bundle.Manifest, *age.HybridRecipient, error) {
	f, err := os.Open(filepath.Join(dir, "manifest.json")) // #nosec G304 -- the submission folder named by the officer
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, noSubmission(dir)
	}
	if err != nil {
		return nil, nil, failf("cannot read the submission's manifest.json: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, bundle.MaxManifestSize+1))
	if err != nil {
		return nil, nil, failf("cannot read the submission's manifest.json: %v", err)
	}
	m, err := bundle.ParseManifest(data)
	if err != nil {
		return nil, nil, failf("the submission's %v; nothing was written", err)
	}
	if m.Kind == bundle.KindReply {
		return nil, nil, failf("%s is a reply, not a submission; nothing was written", dir)
	}
	if m.ReplyRecipient == "" {
		return nil, nil, failf("submission %s names no reply recipient: its sender cannot receive replies; nothing was written", m.SubmissionID)
	}
	// ParseManifest checked the recipient; parse it again for its type.
	r, err := age.ParseHybridRecipient(m.ReplyRecipient)
	if err != nil {
		return nil, nil, failf("submission %s has a malformed reply recipient; nothing was written", m.SubmissionID)
	}
	return m, r, nil
}

// maxReplySize is the largest reply a refuge-server takes, and a
// defender's refuge accepts (api.MaxReplySize, which this tool cannot
// import: that package links net/http). A larger one is refused here, at
// the desk, rather than by the server once the courier carries it.
const maxReplySize = 256 << 20

// errReplyTooLarge is sealReply's error for a reply past its limit.
var errReplyTooLarge = errors.New("the reply is too large")

// cappedWriter passes at most left bytes to w, then fails with
// errReplyTooLarge.
type cappedWriter struct {
	w    io.Writer
	left int64
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		return 0, errReplyTooLarge
	}
	c.left -= int64(len(p))
	return c.w.Write(p)
}

// sealReply seals c into OUTBOX/replies/<id>/reply-<random>.age: into a
// temporary file first, fsynced, then linked into place, so the courier
// never pushes half a reply. A reply that would be larger than max bytes
// fails with errReplyTooLarge and leaves nothing. When ctx ends (Ctrl-C) before the reply is
// in place, the temporary file is closed, which stops the sealing, and
// removed. The outbox folders it makes go again if it fails.
func sealReply(ctx context.Context, outbox, id string, recipients []age.Recipient, c bundle.Contents, max int64) (_ string, err error) {
	dir := filepath.Join(outbox, "replies", id)
	made, err := cli.MakeDirs(dir)
	if err != nil {
		return "", fmt.Errorf("cannot create the outbox: %w", err)
	}
	defer func() {
		if err != nil {
			made.RemoveEmpty()
		}
	}()
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "reply-"+hex.EncodeToString(rnd[:])+".age")
	tmp, err := os.CreateTemp(dir, ".refuge-outbox-*")
	if err != nil {
		return "", fmt.Errorf("cannot write into the outbox: %w", err)
	}
	defer os.Remove(tmp.Name()) // #nosec G104 -- the temporary name; the file stays under path
	defer context.AfterFunc(ctx, func() { tmp.Close() })()
	_, err = bundle.Seal(&cappedWriter{w: tmp, left: max}, recipients, c)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("cannot seal the reply: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("cannot write the reply: %w", err)
	}
	return path, noreplace.SyncDir(dir)
}

// noSubmission is the error of a --to folder that holds no manifest.json.
// Given open's output folder itself, it names the submissions in it (only
// folders named by a submission id that hold a manifest.json, so nothing
// else of what is there is shown), and how to answer each.
func noSubmission(dir string) *cli.Error {
	ce := failf("%s holds no manifest.json", dir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		ce = failf("%s does not exist", dir)
	}
	var ids []string
	entries, _ := os.ReadDir(dir) // sorted by name; none if it cannot be read
	for _, en := range entries {
		if !en.IsDir() || !lowerhex.ID(en.Name()) {
			continue
		}
		if fi, err := os.Lstat(filepath.Join(dir, en.Name(), "manifest.json")); err == nil && fi.Mode().IsRegular() {
			ids = append(ids, en.Name())
		}
	}
	if len(ids) == 0 {
		return ce.Hint("--to is the folder that \"refuge-officer open\" made for the submission: OUTDIR/<submission id>")
	}
	return ce.Hint("%s is where open put %s: --to is one of them, such as %s", dir, cli.Plural(len(ids), "submission"), filepath.Join(dir, ids[0])).
		Hint("to answer each: for s in %s/*/; do refuge-officer reply --to \"$s\" …; done", filepath.Clean(dir))
}
