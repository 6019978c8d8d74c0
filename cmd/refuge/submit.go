package main

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"refuge/internal/progress"
	"time"

	"filippo.io/age"

	"refuge/client"
	"refuge/crypto/bundle"
	"refuge/crypto/manifest"
	"refuge/crypto/receipt"
)

const submitHelp = `Usage: refuge submit [--note-file F] [--receipt-out F] [--restart] FILE...

Seals FILEs (and folders) and a note into one encrypted bundle and uploads it
to the drop-box. Only the officers can open it. Before anything is sealed,
the key manifest from the server is checked against the pinned root key
(signature, expiry, no older version than one already seen); if it fails,
nothing is sent.

You get a RECEIPT PHRASE of 12 words. It is printed before the upload starts
(at a terminal on standard error with advice; otherwise alone on standard
output, for scripts), so you have it even if the upload is interrupted. It is
the only way to check the status of your submission and read the officers'
replies, from any device: "refuge status", "refuge replies". Nothing else is
kept on this device once the upload is done. Write it down or learn it; do
not store it next to your files. Anyone with the phrase can read replies.

An interrupted upload resumes when you run the same command again with the
same files. Until it completes, the encrypted bundle and the upload's state
(never your files in clear, never the phrase) stay in a private folder
($REFUGE_STATE_DIR/pending/); they are removed on success. --restart throws
them away and starts over with a new phrase.

Flags:
    --note-file F    a text note for the officers, sealed with the files
    --receipt-out F  also write the phrase to F (created 0600, never
                     overwritten); think before keeping it on this device
    --restart        discard an interrupted submission of these files
` + connHelp + `

Examples:
    $ refuge submit passport.pdf photos/
    $ refuge submit --note-file note.txt --proxy socks5h://127.0.0.1:9050 evidence.zip
    $ refuge submit --server https://drop.example.org --root-pub RWQ… report.pdf

Exit codes: 0 submitted, 1 failed, 2 bad command line, 3 the key manifest
was refused (nothing was encrypted or sent), 4 network failure after retries
(run the same command again to resume).`

func cmdSubmit(e *env, args []string) error {
	fl := e.newFlags("submit", submitHelp)
	cn := addConn(fl)
	noteFile := fl.String("note-file", "", "")
	receiptOut := fl.String("receipt-out", "", "")
	restart := fl.Bool("restart", false, "")
	files, err := e.parse(fl, args)
	if err != nil {
		return err
	}
	if len(files) == 0 && *noteFile == "" {
		return usagef("submit", "nothing to submit: give files or --note-file")
	}
	if *receiptOut != "" {
		if _, err := os.Lstat(*receiptOut); err == nil {
			return usagef("submit", "--receipt-out %s already exists; it is never overwritten", *receiptOut)
		}
	}
	purge, err := secure()
	if err != nil {
		return err
	}
	defer purge()
	return e.sealedUpload("submit", cn, inputs(files, *noteFile), "anonymous", "", *restart,
		func(ctx context.Context, c *client.Client, p profile, state, dir string) error {
			return e.submitNew(ctx, c, p, state, dir, files, *noteFile, *receiptOut)
		})
}

func inputs(files []string, noteFile string) []string {
	in := append([]string(nil), files...)
	if noteFile != "" && noteFile != "-" { // a note on stdin is not part of the key
		in = append(in, noteFile)
	}
	return in
}

// sealedUpload resumes the interrupted upload of these inputs if there is
// one, or calls start to seal and upload them afresh.
func (e *env) sealedUpload(cmd string, cn *conn, inputs []string, kind, token string, restart bool,
	start func(ctx context.Context, c *client.Client, p profile, state, dir string) error) error {
	p, state, err := cn.settings(cmd, true)
	if err != nil {
		return err
	}
	dir, err := pendingDir(state, p.Server, kind, inputs)
	if err != nil {
		return err
	}
	c, err := newClient(p)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	st, ok, err := loadState(dir)
	if err != nil {
		return err
	}
	sealed := filepath.Join(dir, sealedFile)
	if ok && restart {
		if st.UploadURL != "" {
			_ = c.TerminateUpload(ctx, st.UploadURL, token)
		}
		ok = false
	}
	if ok {
		if n, err := fileSize(sealed); err != nil || n != st.Size {
			ok = false
		}
	}
	if ok {
		e.out.infof("resuming an interrupted upload of these files")
		e.out.infof("its receipt phrase was printed when it started; if you lost it, run again with --restart")
		if err := e.upload(ctx, c, token, dir, &st, sealed, "upload"); err != nil {
			return err
		}
		return e.submitted(dir)
	}
	// Start afresh: whatever was left is an unfinished seal.
	if err := os.RemoveAll(dir); err != nil {
		return failf("cannot clear the old upload state: %v", err)
	}
	return start(ctx, c, p, state, dir)
}

func (e *env) submitNew(ctx context.Context, c *client.Client, p profile, state, dir string, files []string, noteFile, receiptOut string) error {
	contents := bundle.Contents{Kind: bundle.KindAnonymous}
	var err error
	if len(files) > 0 {
		if contents.Files, err = bundle.CollectFiles(files); err != nil {
			return failf("%v", err)
		}
	}
	if contents.Note, err = e.readNote(noteFile); err != nil {
		return err
	}
	return e.sealAndUpload(ctx, c, p, state, dir, contents, sealJob{kind: "anonymous", receiptOut: receiptOut})
}

// sealJob says how sealAndUpload seals and uploads.
type sealJob struct {
	kind       string // upload kind: anonymous or referral
	token      string // bearer token ("" for anonymous)
	receiptOut string
	// prepare, if not nil, completes the contents once the manifest is
	// verified (refer: checks the partner key and sets Sign).
	prepare func(m *manifest.Manifest, c *bundle.Contents) error
}

// sealAndUpload verifies the served manifest, makes the receipt phrase,
// seals contents into dir, prints the phrase and uploads.
func (e *env) sealAndUpload(ctx context.Context, c *client.Client, p profile, state, dir string, contents bundle.Contents, job sealJob) error {
	var err error
	// 1. The manifest, verified before anything is sealed or sent.
	m, sig, err := c.Manifest(ctx)
	if err != nil {
		return netFail("fetching the officers' key manifest", err)
	}
	km, recipients, err := verifyServedManifest(p.RootPub, m, sig, state, time.Now())
	if err != nil {
		return err
	}
	e.out.infof("key manifest version %d verified against the pinned root key (%s)", km.Version, plural(len(recipients), "recipient"))
	if job.prepare != nil {
		if err := job.prepare(km, &contents); err != nil {
			return err
		}
	}

	// 2. The receipt phrase and what it derives.
	phrase, err := receipt.Generate()
	if err != nil {
		return failf("%v", err)
	}
	keys, err := receipt.Derive(phrase)
	if err != nil {
		return failf("%v", err)
	}
	tok, err := keys.Token()
	if err != nil {
		return failf("%v", err)
	}
	verifier := receipt.Verifier(tok.Bytes())
	tok.Destroy()
	contents.SubmissionID = keys.SubmissionID()
	contents.ReplyRecipient = keys.Recipient().String()

	// 3. Seal into the private state folder.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failf("cannot create the upload state folder: %v", err)
	}
	size, err := sealTo(filepath.Join(dir, sealedFile), recipients, contents)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	st := uploadState{Server: p.Server, Kind: job.kind, SubmissionID: contents.SubmissionID,
		Verifier: hex.EncodeToString(verifier[:]), Size: size}
	if err := saveState(dir, st); err != nil {
		os.RemoveAll(dir)
		return err
	}
	e.out.infof("sealed %s into %s of ciphertext", plural(len(contents.Files), "file"), progress.Size(size))

	// 4. The phrase, before the first byte goes out (as refuge seal
	// shows it: alone on stdout for scripts, else on stderr).
	text, err := phrase.Text()
	if err != nil {
		return failf("cannot read the receipt phrase: %v", err)
	}
	defer text.Destroy()
	if job.receiptOut != "" {
		if err := writeReceipt(job.receiptOut, text.Bytes()); err != nil {
			return err
		}
	}
	e.showPhrase(text.Bytes(), false)

	// 5. Upload.
	if err := e.upload(ctx, c, job.token, dir, &st, filepath.Join(dir, sealedFile), "upload"); err != nil {
		return err
	}
	return e.submitted(dir)
}

func (e *env) submitted(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		e.out.infof("warning: the upload is complete but its local state could not be removed: %v", err)
	}
	e.out.infof("submitted: the officers will collect it; check with \"refuge status\" and your receipt phrase")
	return nil
}

// sealTo seals contents into name (created 0600, fsynced) and returns the
// ciphertext size.
func sealTo(name string, recipients []age.Recipient, contents bundle.Contents) (int64, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, failf("cannot create the sealed bundle: %v", errors.Unwrap(err))
	}
	defer f.Close()
	if _, err := bundle.Seal(f, recipients, contents); err != nil {
		return 0, failf("sealing failed: %v; nothing was sent", err)
	}
	if err := f.Sync(); err != nil {
		return 0, failf("cannot save the sealed bundle: %v", err)
	}
	n, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, failf("cannot save the sealed bundle: %v", err)
	}
	return n, nil
}
