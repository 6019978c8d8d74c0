package main

import (
	"context"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"refuge/internal/progress"
	"time"

	"github.com/awnumar/memguard"

	"refuge/client"
	"refuge/crypto/bundle"
	"refuge/crypto/manifest"
	"refuge/internal/cli"
	"refuge/server/api"
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
them away and starts over with a new phrase. While one run is at work on
these files, another is refused.

Flags:
    --note-file F    a text note for the officers, sealed with the files
    --receipt-out F  also write the phrase to F (created 0600, never
                     overwritten; a run that resumes leaves it as it is);
                     think before keeping it on this device
    --restart        discard an interrupted submission of these files
` + connHelp + `

Examples:
    $ refuge submit passport.pdf photos/
    $ refuge submit --note-file note.txt --proxy socks5h://127.0.0.1:9050 \
          evidence.zip
    $ refuge submit --server https://drop.example.org --root-pub RWQ… \
          report.pdf

Exit codes: 0 submitted, 1 failed, 2 bad command line, 3 the key manifest
was refused (nothing was encrypted or sent), 4 network failure after retries
(run the same command again to resume), 130 interrupted by Ctrl-C (likewise).`

func cmdSubmit(e *env, args []string) error {
	fl := e.newFlags("submit", submitHelp)
	cn := addConn(fl)
	noteFile := fl.String("note-file", "", "")
	receiptOut := fl.String("receipt-out", "", "")
	restart := fl.Bool("restart", false, "")
	files, err := cli.ParsePaths(fl, args)
	if err != nil {
		return err
	}
	if len(files) == 0 && *noteFile == "" {
		return usagef("submit", "nothing to submit: give files or --note-file")
	}
	if err := receiptOutEarly(cn, "submit", "anonymous", *receiptOut, *restart); err != nil {
		return err
	}
	purge, err := secure()
	if err != nil {
		return err
	}
	defer purge()
	return e.sealedUpload("submit", cn, inputs(files, *noteFile), nil, "anonymous", "", *restart,
		func(ctx context.Context, c *client.Client, p profile, state string, pd *pending, resumed *uploadState) error {
			return e.submitNew(ctx, c, p, state, pd, files, *noteFile, *receiptOut, resumed)
		})
}

// receiptOutEarly refuses a --receipt-out file that exists before anything
// is asked or sealed, unless this device keeps an unfinished upload of
// this kind for this server: the same command run again resumes it, shows
// no phrase and writes none, so the file the first run wrote must not stop
// it. Whether these very inputs have one is known only later;
// sealAndUpload checks the file again before it makes a new phrase.
func receiptOutEarly(cn *conn, cmd, kind, name string, restart bool) error {
	if name == "" {
		return nil
	}
	if _, err := os.Lstat(name); err != nil || restart {
		return checkReceiptOut(name)
	}
	p, state, err := cn.settings(cmd, true)
	if err != nil {
		return err
	}
	dirs, _ := filepath.Glob(filepath.Join(state, "pending", "*"))
	for _, dir := range dirs {
		if st, ok, _ := loadState(dir); ok && st.Kind == kind && st.Server == p.Server {
			return nil
		}
	}
	return checkReceiptOut(name)
}

func inputs(files []string, noteFile string) []string {
	in := append([]string(nil), files...)
	if noteFile != "" && noteFile != "-" { // a note on stdin is not part of the key
		in = append(in, noteFile)
	}
	return in
}

// What running the same command again does after an interruption (see
// interruptible): resume under the phrase shown, or, stopped before a new
// phrase was shown, start over with nothing to lose.
const (
	resumeUnderPhrase = "run the same command again, with the same files: the upload resumes where it stopped, under the same receipt phrase"
	noPhraseYet       = "nothing was sent and no receipt phrase was made yet: run the same command again to start"
)

// sealedUpload resumes the interrupted upload of these inputs if there is
// one, or calls start to seal and upload them afresh. An upload whose
// sealing never finished, or whose spool was damaged (a device that lost
// power), is sealed again: start then gets the saved state, to keep the
// submission id and reply recipient of the phrase already shown.
func (e *env) sealedUpload(cmd string, cn *conn, inputs []string, content []byte, kind, token string, restart bool,
	start func(ctx context.Context, c *client.Client, p profile, state string, pd *pending, resumed *uploadState) error) error {
	p, state, err := cn.settings(cmd, true)
	if err != nil {
		return err
	}
	dir, err := pendingDir(state, p.Server, kind, inputs, content)
	if err != nil {
		return err
	}
	pd, err := e.openPending(dir, "these files")
	if err != nil {
		return err
	}
	defer pd.release()
	c, err := e.newClient(p)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, stop := e.interruptible(resumeUnderPhrase)
	defer stop()

	st, ok, err := pd.state()
	if err != nil {
		return err
	}
	sealed := filepath.Join(dir, sealedFile)
	if ok && st.PhraseUnshown {
		// An earlier run stopped between saving its state and showing its
		// phrase: no one has that phrase, so nothing may go under it.
		e.out.Infof("an earlier run of these files stopped before it showed its receipt phrase: starting afresh, with a new phrase")
		restart = true
	}
	if ok && restart {
		if st.UploadURL != "" {
			_ = c.TerminateUpload(ctx, st.UploadURL, token)
		}
		ok = false
	}
	if ok && st.Sealed && spoolIntact(sealed, st.Size, st.SealedCRC, st.Released, st.ReleasedCRC) {
		e.out.Infof("resuming an interrupted upload of these files")
		e.out.Infof("its receipt phrase was printed when it started; if you lost it, run again with --restart")
		err := e.upload(ctx, c, token, pd, &st, sealed, "upload")
		if err == nil {
			return e.submitted(pd)
		}
		if !errors.Is(err, errReleased) {
			return phraseStays(err, "printed when it started")
		}
		// The server lost what it had acknowledged, which this device
		// freed: sealed again below, as a damaged spool is.
		e.out.Infof("the server no longer has the part of the upload it had acknowledged")
	}
	if ok && st.ReplyRecipient != "" {
		// What the server holds of the old upload cannot be completed:
		// the ciphertext it began is gone.
		e.out.Infof("resuming an interrupted submission of these files: sealing them again, under the receipt phrase printed when it started")
		if st.UploadURL != "" {
			err := c.TerminateUpload(ctx, st.UploadURL, token)
			// Unknown (404): it completed (the run was stopped after the
			// last byte went, before the answer came), or it expired and
			// was removed. Expired (410): it never completed.
			st.Vanished, st.Expired = errors.Is(err, api.ErrNotFound), errors.Is(err, api.ErrGone)
			if err != nil && !st.Vanished && !st.Expired {
				return netFail("cancelling the interrupted upload", err)
			}
			st.UploadURL, st.CreationKey = "", ""
		}
		if err := os.Remove(sealed); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return failf("cannot clear the old sealed bundle: %v", err)
		}
		return start(ctx, c, p, state, pd, &st)
	}
	// Start afresh: whatever was left holds no phrase that was shown.
	if err := pd.clear(); err != nil {
		return failf("cannot clear the old upload state: %v", err)
	}
	e.resumeHint = noPhraseYet // until sealAndUpload shows one
	return start(ctx, c, p, state, pd, nil)
}

func (e *env) submitNew(ctx context.Context, c *client.Client, p profile, state string, pd *pending, files []string, noteFile, receiptOut string, resumed *uploadState) error {
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
	if err := e.checkContents(files, contents.Files, contents.Note); err != nil {
		return err
	}
	return e.sealAndUpload(ctx, c, p, state, pd, contents, sealJob{kind: "anonymous", receiptOut: receiptOut, resumed: resumed})
}

// sealJob says how sealAndUpload seals and uploads.
type sealJob struct {
	kind       string // upload kind: anonymous or referral
	token      string // bearer token ("" for anonymous)
	receiptOut string
	// prepare, if not nil, completes the contents once the manifest is
	// verified (refer: checks the partner key and sets Sign).
	prepare func(m *manifest.Manifest, c *bundle.Contents) error
	// resumed, if not nil, is the state of a submission whose sealing was
	// interrupted: it is sealed again under the same phrase.
	resumed *uploadState
}

// sealAndUpload verifies the served manifest, makes the receipt phrase,
// prints it, and seals contents into pd while uploading them.
func (e *env) sealAndUpload(ctx context.Context, c *client.Client, p profile, state string, pd *pending, contents bundle.Contents, job sealJob) error {
	var err error
	dir := pd.dir
	// 1. The manifest, verified before anything is sealed or sent.
	m, sig, err := c.Manifest(ctx)
	if err != nil {
		return netFail("", err)
	}
	km, recipients, err := verifyServedManifest(p.RootPub, m, sig, state, time.Now())
	if err != nil {
		return err
	}
	e.out.Infof("checked the officers' keys: their list is signed by the pinned root key (key manifest version %d, %s)", km.Version, cli.Plural(len(recipients), "key"))
	if job.token != "" && job.resumed == nil {
		if err := checkPartnerToken(ctx, c, job.token); err != nil {
			return err
		}
	}
	if job.prepare != nil {
		if err := job.prepare(km, &contents); err != nil {
			return err
		}
	}

	// 2. The receipt phrase and what it derives (or, sealing again, what
	// the phrase shown before derived).
	var text *memguard.LockedBuffer
	st := uploadState{Server: p.Server, Kind: job.kind}
	if job.resumed != nil {
		st = *job.resumed
	} else {
		// Checked here, not at the start: a run that resumes shows no
		// phrase and writes none, so the file that the run which showed
		// it wrote must not stop the same command from finishing.
		if err := checkReceiptOut(job.receiptOut); err != nil {
			return err
		}
		phrase, keys, verifier, err := newReceipt()
		if err != nil {
			return err
		}
		st.SubmissionID, st.ReplyRecipient = keys.SubmissionID(), keys.Recipient().String()
		st.Verifier = hex.EncodeToString(verifier[:])
		if text, err = phrase.Text(); err != nil {
			return failf("cannot read the receipt phrase: %v", err)
		}
		defer text.Destroy()
	}
	contents.SubmissionID, contents.ReplyRecipient = st.SubmissionID, st.ReplyRecipient
	contents.Created = time.Now()

	// 3. The bundle's exact length, so the upload can start before it is
	// sealed, and the state that lets an interrupted run resume.
	if st.Size, err = bundle.SealedSize(recipients, contents); err != nil {
		return failf("%v", err)
	}
	st.Sealed, st.SealedCRC, st.Released, st.ReleasedCRC = false, 0, 0, 0
	// The first thing this run keeps on the device: until here, a run
	// that failed left nothing (see pending).
	if err := pd.keep(); err != nil {
		return err
	}
	// The spool's disk space is reserved before the phrase is shown: a
	// disk too full for the bundle stops the run with nothing shown or
	// sent (sealing again, the state of the phrase shown before stays).
	sp, err := createSpool(filepath.Join(dir, sealedFile), st.Size)
	if err != nil {
		if job.resumed == nil {
			pd.clear()
		}
		return err
	}
	defer sp.Close()
	ps := &pendingState{pd: pd, st: st}
	if err := ps.update(func(s *uploadState) { s.PhraseUnshown = text != nil }); err != nil {
		return err
	}
	sp.onRelease = func(upTo int64, crc uint32) error {
		return ps.update(func(s *uploadState) { s.Released, s.ReleasedCRC = upTo, crc })
	}

	// 4. The phrase, before the first byte goes out (as refuge seal
	// shows it: alone on stdout for scripts, else on stderr).
	if text != nil {
		// Once the phrase is in the person's hands (the --receipt-out
		// file if there is one, else the screen), the state says so, once.
		shown := func() error {
			err := ps.update(func(s *uploadState) { s.PhraseUnshown = false })
			if err == nil {
				return nil
			}
			if job.receiptOut != "" {
				os.Remove(job.receiptOut) // #nosec G104 -- this run wrote it (never over another file), and its phrase is void
			}
			return failf("cannot save the upload state: %v; nothing was sent, and the receipt phrase is void", err).
				Hint("fix the problem (a full disk?) and run the command again: you will get a new phrase")
		}
		if job.receiptOut != "" {
			if err := writeReceipt(job.receiptOut, text.Bytes()); err != nil {
				pd.clear()
				return err
			}
			e.out.Infof("wrote the receipt phrase to %s (mode 0600)", job.receiptOut)
			if err := shown(); err != nil {
				return err
			}
		}
		// Alone on standard output for a script: if it cannot be written
		// there (the disk under that file is full), no one may have it,
		// and nothing is kept or sent under it.
		printed := false
		if e.phraseOnStdout(false) {
			err := e.printPhrase(text.Bytes())
			if err != nil && job.receiptOut == "" {
				pd.clear()
				return phraseNotPrinted(err, "nothing was sent")
			} else if err != nil {
				e.out.Warnf("%s; it is in %s", err.Msg, job.receiptOut)
			}
			printed = err == nil
		}
		e.showPhrase(text.Bytes(), false, printed)
		e.resumeHint = resumeUnderPhrase
		if job.receiptOut == "" {
			if err := shown(); err != nil {
				return err
			}
		}
	}

	// 5. Seal and upload at once.
	e.out.Infof("encrypting %s for the officers (%s once encrypted) and uploading as it goes", cli.Plural(len(contents.Files), "file"), progress.Size(st.Size))
	sealCtx, stopSealing := context.WithCancel(ctx)
	defer stopSealing()
	sealed := make(chan error, 1)
	go func() {
		crc, err := sp.seal(sealCtx, recipients, contents)
		if err == nil {
			err = ps.update(func(s *uploadState) { s.Sealed, s.SealedCRC = true, crc })
		}
		sealed <- err
	}()
	upErr := e.uploadFrom(ctx, c, job.token, ps, sp, "upload")
	if upErr == nil || !resumable(upErr) {
		// Done (the sealing is, unless the server held the submission
		// already) or of no use.
		stopSealing()
	}
	// Let the sealing finish even when the link failed: the next run then
	// resumes the upload instead of sealing again.
	sealErr := <-sealed
	if upErr == nil {
		// The server holds every byte, each chunk checked on arrival:
		// whatever happened to the local state after that changes nothing.
		return e.submitted(pd)
	}
	if sealErr != nil && ctx.Err() == nil && !errors.Is(sealErr, context.Canceled) {
		// The files could not be sealed (one changed or could not be
		// read): nothing was submitted, and the phrase is of no use.
		if u := ps.get().UploadURL; u != "" {
			_ = c.TerminateUpload(context.WithoutCancel(ctx), u, job.token)
		}
		pd.clear()
		if text != nil && job.receiptOut != "" {
			os.Remove(job.receiptOut) // this run wrote it (never over another file), and its phrase is void
		}
		return failf("sealing failed: %v; nothing was submitted, and the receipt phrase above is void", sealErr).
			Hint("fix the problem and run the command again: you will get a new phrase")
	}
	if text != nil {
		return phraseStays(upErr, "above")
	}
	return upErr
}

// checkPartnerToken asks the server whether token is a partner's, before
// a receipt phrase is made: a wrong or revoked token used to be found by
// the upload, after the phrase had been shown, leaving a partner with a
// phrase for a referral that had not gone. A server too old to tell
// leaves it to the upload, as before.
func checkPartnerToken(ctx context.Context, c *client.Client, token string) error {
	role, err := c.TokenRole(ctx, token)
	if err != nil {
		var ce *cli.Error
		errors.As(netFail("", err), &ce)
		return ce.Hint("nothing was sent and no receipt phrase was made")
	}
	if role == "courier" {
		return failf("this token is a courier's, not a partner's; nothing was sent and no receipt phrase was made").
			Hint("use your organisation's partner token (--token, or $REFUGE_TOKEN), as the people who run the drop-box gave it to you")
	}
	return nil
}

// phraseStays adds to err, the failure of an upload whose state stays on
// this device, that the receipt phrase shown when it started (where)
// still holds: a script that takes exit 1 for "nothing happened" would
// otherwise drop the phrase that the same command, run again, finishes.
// A network failure or an interruption already says how to resume, and
// an id the server holds already says what to do instead.
func phraseStays(err error, where string) error {
	var ce *cli.Error
	if !errors.As(err, &ce) || ce.Code != exitError || errors.Is(err, errTaken) {
		return err
	}
	return ce.Hint("the receipt phrase %s stays valid: once this is fixed, run the same command again and it sends this submission under that phrase (--restart discards it for a new one)", where)
}

// resumable reports whether an upload error leaves something that the
// same command, run again, resumes.
func resumable(err error) bool {
	var ce *cli.Error
	return errors.As(err, &ce) && ce.Code == exitNetwork
}

func (e *env) submitted(pd *pending) error {
	if err := pd.clear(); err != nil {
		e.out.Warnf("the upload is complete but its local state could not be removed: %v", err)
	}
	e.out.Infof("submitted: the officers will collect it; check with \"refuge status\" and your receipt phrase")
	e.otherPending(pd)
	return nil
}
