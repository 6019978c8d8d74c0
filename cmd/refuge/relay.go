package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"refuge/client"
	"refuge/internal/cli"
	"refuge/server/api"
)

const relayHelp = `Usage: refuge relay --token T [--server URL] [--proxy URL] BUNDLE...

Uploads bundles that a defender sealed offline with "refuge seal", for them:
you are the partner who carries them to the drop-box. You cannot read a
bundle; the server attributes it to your organisation. Each BUNDLE needs its
ticket, BUNDLE.ticket, which "refuge seal" writes beside it: the submission
id and the token verifier that let the defender later check the status with
their receipt phrase. Keep each ticket with its bundle. The phrase itself
stays with the defender.

An interrupted relay resumes when you run the same command again.

Flags:
    --token T        your partner token (default: $REFUGE_TOKEN; the variable
                     keeps it out of the process list)
` + connHelp + `

Examples:
    $ refuge relay --token "$(cat partner.token)" \
          usb/bundle-1.age usb/bundle-2.age
    $ REFUGE_TOKEN=… refuge relay --proxy socks5h://127.0.0.1:9050 bundle.age

Every bundle and ticket is checked before anything is sent. A bundle whose
submission the server already has (relayed before, or sent by the defender)
is skipped, and said so: a batch can be run again. A bundle the server
refuses does not stop the others; each outcome is one line on standard
error: "relayed BUNDLE (submission ID)", "skipped BUNDLE: …" or "refused
BUNDLE: reason".

Exit codes: 0 every bundle relayed or skipped, 1 a bundle was refused (the
others were relayed or skipped; the last line lists the refused ones) or
nothing was sent (a missing ticket, the token), 2 bad command line, 4 network
failure after retries (run the same command again to resume), 130
interrupted (likewise).`

// ageMagic begins every age file.
var ageMagic = []byte("age-encryption.org/v1\n")

func cmdRelay(e *env, args []string) error {
	fl := e.newFlags("relay", relayHelp)
	cn := addConn(fl)
	token := fl.String("token", "", "")
	pos, err := cli.ParsePaths(fl, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("relay", "no bundle given")
	}
	tok, err := tokenFrom(*token, "relay")
	if err != nil {
		return err
	}
	p, state, err := cn.settings("relay", false)
	if err != nil {
		return err
	}
	// Check every bundle and ticket before sending anything.
	tickets := make([]client.Ticket, len(pos))
	for i, b := range pos {
		if err := checkAgeFile(b); err != nil {
			return err
		}
		t, err := client.ReadTicket(b)
		if errors.Is(err, fs.ErrNotExist) {
			return failf("%s has no ticket beside it", b).Hint("refuge seal writes BUNDLE.ticket next to each bundle; relay needs both files")
		}
		if err != nil {
			return failf("ticket of %s: %v", b, err)
		}
		tickets[i] = t
	}
	c, err := e.newClient(p)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, stop := e.interruptible("run the same command again: each relay resumes where it stopped")
	defer stop()
	// A bundle that the server refuses does not stop the others: each is
	// tried, the refusal is printed with the bundle's name, and the batch
	// fails at the end. What would fail every bundle alike stops it at
	// once: the network (running it again goes on from there), Ctrl-C, the
	// token, another refuge process relaying the same bundle.
	var refused []string
	for i, b := range pos {
		err := e.relayOne(ctx, c, tok, state, p.Server, b, tickets[i])
		if errors.Is(err, errTaken) {
			// Relayed before (a batch run again), or sent by its defender:
			// nothing to send. (Or another upload of it is under way, which
			// this device cannot tell apart.)
			e.out.Infof("skipped %s: the server already has submission %s (relayed before, or sent by the defender); the defender's receipt phrase shows its state", b, tickets[i].SubmissionID)
			continue
		}
		if err != nil {
			if resumable(err) || ctx.Err() != nil || errors.Is(err, errBusy) ||
				errors.Is(err, api.ErrUnauthorized) || errors.Is(err, api.ErrForbidden) {
				return namedError(b, err)
			}
			e.out.Infof("refused %s: %v", b, err)
			refused = append(refused, b)
			continue
		}
		e.out.Infof("relayed %s (submission %s)", b, tickets[i].SubmissionID)
	}
	if len(refused) > 0 {
		return failf("%s of %d not relayed: %s", cli.Plural(len(refused), "bundle"), len(pos), strings.Join(refused, ", ")).
			Hint("the reasons are above; the others were relayed or skipped. A bundle the server refuses as no bundle for the officers' keys was most likely sealed with an older key manifest: ask the defender to seal it again")
	}
	return nil
}

// namedError puts the bundle's name before the message of err, which
// stops a batch.
func namedError(bundle string, err error) error {
	var ce *cli.Error
	if !errors.As(err, &ce) {
		return failf("%s: %v", bundle, err)
	}
	named := *ce
	named.Msg = bundle + ": " + ce.Msg
	return &named
}

func (e *env) relayOne(ctx context.Context, c *client.Client, token, state, server, bundle string, t client.Ticket) error {
	dir, err := pendingDir(state, server, "relay", []string{bundle}, nil)
	if err != nil {
		return err
	}
	pd, err := e.openPending(dir, bundle)
	if err != nil {
		return err
	}
	defer pd.release()
	size, err := fileSize(bundle)
	if err != nil {
		return failf("cannot read %s: %v", bundle, errors.Unwrap(err))
	}
	st, ok, err := pd.state()
	if err != nil {
		return err
	}
	if !ok || st.SubmissionID != t.SubmissionID || st.Size != size {
		// Saved (and the folder made) with the upload's URL: until the
		// server has made the upload, the ticket is all a run needs.
		st = uploadState{Server: server, Kind: "relay", SubmissionID: t.SubmissionID, Verifier: t.Verifier, Size: size}
	} else if st.UploadURL != "" {
		e.out.Infof("resuming the relay of %s", bundle)
	}
	if err := e.upload(ctx, c, token, pd, &st, bundle, "relay"); err != nil {
		// Nothing to resume: the ticket is all a new run needs. (A bundle
		// refused on completion is deleted by the server.) An upload that
		// the server no longer knew, or said had expired, made way for a
		// new one whose creation may have reached the server: its key stays.
		if errors.Is(err, errTaken) || (st.UploadURL == "" && !st.Vanished && !st.Expired) || errors.Is(err, &api.Error{Code: api.CodeUnprocessable}) {
			pd.clear()
		}
		return err
	}
	return pd.clear()
}

// checkAgeFile refuses a file that does not start like an age file, so a
// plaintext file handed over by mistake is never sent.
func checkAgeFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return failf("cannot open %s: %v", name, errors.Unwrap(err))
	}
	defer f.Close()
	head := make([]byte, len(ageMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, ageMagic) {
		return failf("%s is not a sealed bundle (it does not start like an age file); nothing was sent", name).
			Hint("relay only uploads bundles made with refuge seal")
	}
	return nil
}

// tokenFrom returns the token of --token or $REFUGE_TOKEN, without the
// white space that copying adds (a token file with Windows line ends read
// with "$(cat FILE)" keeps a carriage return). A token that is then not
// one the server hands out is refused before anything is sent, without
// repeating it: net/http would refuse to send some (a control character
// in a header) and that came out as a network failure after retries.
func tokenFrom(flagValue, cmd string) (string, error) {
	t := flagValue
	if t == "" {
		t = os.Getenv("REFUGE_TOKEN")
	}
	if t == "" {
		return "", usagef(cmd, "no token: pass --token T or set REFUGE_TOKEN")
	}
	t = strings.TrimSpace(t)
	if !client.ValidToken(t) {
		return "", usagef(cmd, "the token is malformed: a token is 64 hexadecimal characters (or 43 of base64url) with nothing else in them").
			Hint("use the token exactly as the people who run the drop-box gave it to your organisation; a character may have been lost or added in copying")
	}
	return t, nil
}
