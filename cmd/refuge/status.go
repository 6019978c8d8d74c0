package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"

	"refuge/client"
	"refuge/crypto/receipt"
	"refuge/crypto/secrets"
	"refuge/internal/cli"
	"refuge/server/api"
)

const statusHelp = `Usage: refuge status [--server URL] [--proxy URL]

Shows the state of your submission. It asks for your receipt phrase (typed
without echo at a terminal, or read from standard input when that is not a
terminal: all of it, on one line or one word per line, at most 4096 bytes);
nothing about the submission needs to be on this device. The phrase never
leaves it: only a lookup id and an access token derived from it are sent.
Type the 12 words in order; capitals, commas and numbers before the words
("1. …, 2. …") do not matter, and the first four letters of each word are
enough.

States:
    received    stored on the server, not yet collected by the officers
    collected   the officers have collected it
    replied     the officers replied: read it with "refuge replies"
    deleted     the officers confirmed they hold it safely; the server
                deleted its copy (replies stay readable)

Flags:
` + connHelp + `

Examples:
    $ refuge status
    $ refuge status --proxy socks5h://127.0.0.1:9050 < phrase.txt

Output (standard output, one "key: value" line each; the first word of the
status is one of the states above):
    status: received: stored on the server, not yet collected by the officers
    submission: 0123456789abcdef0123456789abcdef
    received on: 2026-12-01 (UTC day)
    replies: 0

Exit codes: 0 shown, 1 failed (also: no submission for this phrase),
2 bad command line, 4 network failure after retries, 130 interrupted.`

var stateText = map[string]string{
	"received":  "received: stored on the server, not yet collected by the officers",
	"collected": "collected: the officers have collected your submission",
	"replied":   "replied: the officers replied; read it with \"refuge replies\"",
	"deleted":   "deleted: the officers confirmed they hold it safely, and the server deleted its copy (replies stay readable)",
}

func cmdStatus(e *env, args []string) error {
	fl := e.newFlags("status", statusHelp)
	cn := addConn(fl)
	pos, err := cli.Parse(fl, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return phraseArgs("status")
	}
	p, _, err := cn.settings("status", false)
	if err != nil {
		return err
	}
	s, err := e.openSubmitter(p)
	if err != nil {
		return err
	}
	defer s.close()
	ctx, c, keys, tok := s.ctx, s.c, s.keys, s.tok
	st, err := c.Status(ctx, keys.SubmissionID(), tok)
	if err != nil {
		return lookupFail(err)
	}
	text := stateText[st.Status]
	if text == "" {
		text = st.Status
	}
	// One write, whose failure is told: a script that sends the status to
	// a file on a full disk must not read an empty file as an answer.
	if _, err := fmt.Fprintf(e.stdout, "status: %s\nsubmission: %s\nreceived on: %s (UTC day)\nreplies: %d\n",
		text, keys.SubmissionID(), st.Received, len(st.Replies)); err != nil {
		return failf("cannot write the status to standard output: %v", cli.Reason(err)).
			Hint("free space where standard output goes, or send it elsewhere, and run the same command again")
	}
	return nil
}

// lookupFail explains a failed submitter lookup.
// submitter is what status and replies need once the phrase is read: the
// phrase-derived keys and token, a client, and a context that Ctrl-C ends.
type submitter struct {
	ctx   context.Context
	c     *client.Client
	keys  *receipt.Keys
	tok   string
	close func()
}

// openSubmitter locks memory for secrets, asks for the phrase, derives the
// keys and token, and connects. The caller defers s.close.
func (e *env) openSubmitter(p profile) (*submitter, error) {
	purge, err := secure()
	if err != nil {
		return nil, err
	}
	keys, err := e.readPhrase()
	if err != nil {
		purge()
		return nil, err
	}
	tok, err := tokenHex(keys)
	if err != nil {
		purge()
		return nil, err
	}
	c, err := e.newClient(p)
	if err != nil {
		purge()
		return nil, err
	}
	ctx, stop := e.interruptible("")
	return &submitter{ctx: ctx, c: c, keys: keys, tok: tok, close: func() {
		stop()
		c.Close()
		purge()
	}}, nil
}

func lookupFail(err error) error {
	if errors.Is(err, api.ErrNotFound) || errors.Is(err, api.ErrUnauthorized) {
		return failf("no submission matches this receipt phrase on this server").
			Hint("check the words (any order mistake changes everything) and the server; a submission still uploading is not there yet, nor a bundle sealed offline (refuge seal) until a partner relays it")
	}
	return netFail("", err)
}

// tokenHex returns the access token as the server reads it.
func tokenHex(keys *receipt.Keys) (string, error) {
	tok, err := keys.Token()
	if err != nil {
		return "", failf("%v", err)
	}
	defer tok.Destroy()
	return hex.EncodeToString(tok.Bytes()), nil
}

// readPhrase asks for the receipt phrase without echo at a terminal (one
// line), or reads all of standard input (see readPipedPhrase), and derives
// the keys.
func (e *env) readPhrase() (*receipt.Keys, error) {
	f, ok := e.stdin.(*os.File)
	piped := !ok || !term.IsTerminal(int(f.Fd()))
	var text []byte
	var err error
	if piped {
		text, err = readPipedPhrase(e.stdin)
	} else if text, err = secrets.ReadSecretLine(f, e.stderr, prog+": receipt phrase (12 words, not shown): "); err != nil {
		err = promptFail("cannot read the phrase: %v", err)
	}
	defer clear(text)
	if err != nil {
		return nil, err
	}
	line := bytes.TrimSpace(text)
	if len(line) == 0 {
		return nil, failf("no receipt phrase given").Hint("type it at the prompt, or pipe it on standard input")
	}
	phrase, err := receipt.Parse(line)
	if err != nil && piped {
		// A file that holds the phrase on its first line and notes below
		// (as earlier versions read only the first line) still works.
		if first, _, ok := bytes.Cut(line, []byte("\n")); ok {
			if p, ferr := receipt.Parse(bytes.TrimSpace(first)); ferr == nil {
				phrase, err = p, nil
			}
		}
	}
	if err != nil {
		return nil, phraseError(err, piped)
	}
	keys, err := receipt.Derive(phrase)
	if err != nil {
		return nil, failf("%v", err)
	}
	return keys, nil
}
