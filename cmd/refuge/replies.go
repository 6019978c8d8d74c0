package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"filippo.io/age"

	"refuge/client"
	"refuge/crypto/bundle"
	"refuge/crypto/receipt"
	"refuge/internal/cli"
	"refuge/internal/termtext"
	"refuge/server/api"
)

const repliesHelp = `Usage: refuge replies [-o DIR] [--server URL] [--proxy URL]

Fetches the officers' replies to your submission and decrypts them on this
device with a key derived from your receipt phrase (asked without echo at a
terminal, or read from standard input: all of it, on one line or one word
per line, at most 4096 bytes). The server only ever holds them encrypted.

Each reply's message is printed on standard output, with every character a
terminal would act on rather than show (escape sequences, other control
characters, bidi overrides, invalid UTF-8) shown as U+FFFD (�). Without -o,
attached files are not kept. With -o DIR (created if needed, readable only
by you), each reply is also saved, exactly as it came, under
DIR/reply-<id>/<submission id>/ (message in
note.txt, attachments under files/; a plain-text reply as
DIR/reply-<id>/message.txt); replies already saved there are skipped.

Flags:
    -o DIR           save replies (and their attachments) under DIR (created
                     if needed)
` + connHelp + `

Examples:
    $ refuge replies
    $ refuge replies -o ~/replies
    $ refuge replies --proxy socks5h://127.0.0.1:9050 < phrase.txt

Exit codes: 0 done (also when there is no reply yet), 1 failed, 2 bad
command line, 4 network failure after retries, 130 interrupted.`

func cmdReplies(e *env, args []string) error {
	fl := e.newFlags("replies", repliesHelp)
	cn := addConn(fl)
	outDir := fl.String("o", "", "")
	pos, err := cli.Parse(fl, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return phraseArgs("replies")
	}
	if *outDir != "" {
		if fi, err := os.Stat(*outDir); err == nil && !fi.IsDir() {
			return usagef("replies", "-o %s is a file, not a folder", *outDir)
		}
	}
	p, state, err := cn.settings("replies", false)
	if err != nil {
		return err
	}
	s, err := e.openSubmitter(p)
	if err != nil {
		return err
	}
	defer s.close()
	ctx, c, keys, tok := s.ctx, s.c, s.keys, s.tok
	list, err := c.Replies(ctx, keys.SubmissionID(), tok)
	if err != nil {
		return lookupFail(err)
	}
	if len(list) == 0 {
		e.out.Infof("no reply yet")
		return nil
	}
	tmp, err := os.MkdirTemp(state, "replies-*")
	if err != nil {
		return failf("cannot create a private temporary folder: %v", err)
	}
	defer os.RemoveAll(tmp)
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o700); err != nil {
			return failf("cannot create %s: %v", *outDir, errors.Unwrap(err))
		}
	}
	for i, r := range list {
		if *outDir != "" {
			if _, err := os.Lstat(filepath.Join(*outDir, "reply-"+r.ID)); err == nil {
				e.out.Infof("reply %d of %d is already saved in %s", i+1, len(list), filepath.Join(*outDir, "reply-"+r.ID))
				continue
			}
		}
		if err := e.oneReply(ctx, c, keys, tok, r, i+1, len(list), tmp, *outDir); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) oneReply(ctx context.Context, c *client.Client, keys *receipt.Keys, tok string, r api.Reply, n, total int, tmp, outDir string) error {
	ct := filepath.Join(tmp, r.ID+".age")
	if err := c.DownloadReply(ctx, keys.SubmissionID(), tok, r, ct); err != nil {
		return netFail("", err)
	}
	dest := filepath.Join(tmp, "open-"+r.ID)
	if outDir != "" {
		dest = filepath.Join(outDir, "reply-"+r.ID)
	}
	if err := os.Mkdir(dest, 0o700); err != nil {
		return failf("cannot create %s: %v", dest, errors.Unwrap(err))
	}
	f, err := os.Open(ct)
	if err != nil {
		return failf("%v", err)
	}
	defer f.Close()
	res, err := bundle.Open(f, []age.Identity{keys.Identity()}, dest, bundle.Options{})
	if errors.Is(err, bundle.ErrNotBundle) {
		return e.plainReply(f, keys, r, n, total, dest, outDir)
	}
	if err != nil {
		os.Remove(dest)
		return failf("reply %d of %d could not be opened: %v", n, total, err)
	}
	if res.Kind != bundle.KindReply || res.SubmissionID != keys.SubmissionID() {
		os.RemoveAll(dest)
		return failf("reply %d of %d is not an officers' reply to this submission; it was discarded", n, total)
	}
	e.printReply(r, n, total, res.Note)
	if res.NoteTruncated {
		fmt.Fprintln(e.stdout, "[the message continues; save it with -o DIR]")
	}
	files := 0
	for _, en := range res.Entries {
		if len(en.Name) > 6 && en.Name[:6] == "files/" {
			files++
		}
	}
	if outDir != "" {
		e.out.Infof("reply %d saved in %s", n, res.Dir)
	} else if files > 0 {
		e.out.Infof("reply %d has %s attached; run again with -o DIR to keep them", n, cli.Plural(files, "file"))
	}
	return nil
}

// printReply prints a reply's message on standard output. The message
// comes from outside (whoever could encrypt to the reply key, through the
// server): it is shown with every character a terminal would act on
// replaced (termtext.Text), so that it cannot clear the screen, set the
// window title or the clipboard, or hide or reorder its own text. The
// copy saved with -o is the message as it came.
func (e *env) printReply(r api.Reply, n, total int, msg string) {
	fmt.Fprintf(e.stdout, "--- reply %d of %d (%s) ---\n%s\n", n, total, r.Created, termtext.Text(msg))
}

// plainReply handles a reply that is an age file but not a bundle: its
// plaintext is shown as text (zero padding removed) and saved as
// message.txt under dest.
func (e *env) plainReply(f *os.File, keys *receipt.Keys, r api.Reply, n, total int, dest, outDir string) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return failf("%v", err)
	}
	ar, err := age.Decrypt(f, keys.Identity())
	if err != nil {
		return failf("reply %d of %d could not be decrypted with this phrase: %v", n, total, err)
	}
	b, err := io.ReadAll(io.LimitReader(ar, 1<<20+1))
	if err != nil || len(b) > 1<<20 {
		return failf("reply %d of %d is damaged or too large to show", n, total)
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if !utf8.Valid(b) {
		return failf("reply %d of %d is not text and not a bundle", n, total)
	}
	e.printReply(r, n, total, string(b))
	if outDir != "" {
		if err := os.WriteFile(filepath.Join(dest, "message.txt"), b, 0o600); err != nil {
			return failf("cannot save reply %d: %v", n, err)
		}
		e.out.Infof("reply %d saved in %s", n, dest)
	}
	return nil
}
