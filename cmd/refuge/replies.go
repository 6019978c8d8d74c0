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
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"filippo.io/age"
	"golang.org/x/term"
	"golang.org/x/text/width"

	"refuge/client"
	"refuge/crypto/bundle"
	"refuge/crypto/receipt"
	"refuge/internal/cli"
	"refuge/internal/flock"
	"refuge/internal/noreplace"
	"refuge/internal/termtext"
	"refuge/server/api"
)

const repliesHelp = `Usage: refuge replies [-o DIR] [--server URL] [--proxy URL]

Fetches the officers' replies to your submission and decrypts them on this
device with a key derived from your receipt phrase (asked without echo at a
terminal, or read from standard input: all of it, on one line or one word
per line, at most 4096 bytes). The server only ever holds them encrypted.

Who wrote each reply is checked: the officers sign their replies with the
acknowledgement key of the key manifest, which refuge replies fetches from
the server and verifies with the pinned root key (--root-pub, or the one
kept by refuge init). A reply's header line says "signed by the officers
on DAY", or "NOT SIGNED: may not be from the officers": a
reply without a signature (as every reply written before signed replies),
a plain message, or one signed by another key could have been written by
anyone who knows your reply key and can place a file on the server. Such a
reply is still shown and saved, with a warning on standard error and, with
-o, the file WARNING-may-not-come-from-the-officers.txt beside it: before
acting on it, confirm it through the organisation that referred you, or
another channel you trust. With no root key on this device, every reply
is shown as "NOT CHECKED", with the same warning; so is every reply when
the key manifest cannot be checked (the server has none, it cannot be
fetched, or it is refused: expired, older than one seen, not signed by
the root key), and the reason is printed: the replies are never held
back for it.

Each reply's message is printed on standard output, with every character a
terminal would act on rather than show (escape sequences, other control
characters, bidi overrides, invalid UTF-8) shown as U+FFFD (�), between
its header line and an end line that both say who wrote it. Every row of
the message begins "| ", so that no line of it passes for a header: long
lines are folded to the terminal's width (80 columns off a terminal).
Without -o, attached files are not kept. With -o DIR (created if needed,
readable only by you), each reply is also saved, exactly as it came, under
DIR/reply-<id>/<submission id>/ (message in
note.txt, attachments under files/; a plain-text reply as
DIR/reply-<id>/message.txt); replies already saved there are skipped.
Each reply is saved whole or not at all: it is written, and synced to
disk, in a hidden folder DIR/.refuge-partial-reply-…, which becomes
DIR/reply-<id> only once complete. A reply that could not be shown or
saved (the reason is printed) does not stop the others, and is tried
again at the next run; hidden folders that an interrupted run left are
removed then.

Flags:
    -o DIR           save replies (and their attachments) under DIR (created
                     if needed)
` + connHelp + `

Examples:
    $ refuge replies
    $ refuge replies -o ~/replies
    $ refuge replies --proxy socks5h://127.0.0.1:9050 < phrase.txt

Exit codes: 0 done (also when there is no reply yet, and when replies are
NOT SIGNED or NOT CHECKED), 1 failed (also when a reply could not be shown
or saved), 2 bad command line, 4 network failure after retries, 130
interrupted.`

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
	auth, err := e.replyAuthority(ctx, c, p, state)
	if err != nil {
		return err
	}
	tmp, done, err := repliesTemp(state)
	if err != nil {
		return failf("cannot create a private temporary folder: %v", err)
	}
	defer done()
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o700); err != nil {
			return failf("cannot create %s: %v", *outDir, errors.Unwrap(err))
		}
		if err := removeStalePartials(*outDir); err != nil {
			e.out.Warnf("cannot remove what an interrupted run left in %s: %v", *outDir, err)
		}
	}
	// A reply that cannot be shown or saved does not stop the others: the
	// reason is printed, and the command fails at the end. What would fail
	// every reply alike stops it at once: the network, Ctrl-C.
	var failed []string
	notSigned := 0
	for i, r := range list {
		if *outDir != "" && savedReply(filepath.Join(*outDir, "reply-"+r.ID)) {
			e.out.Infof("reply %d of %d is already saved in %s", i+1, len(list), filepath.Join(*outDir, "reply-"+r.ID))
			continue
		}
		signed, err := e.oneReply(ctx, c, keys, tok, r, i+1, len(list), tmp, *outDir, auth)
		if err == nil {
			if !signed {
				notSigned++
			}
			continue
		}
		if resumable(err) || ctx.Err() != nil {
			return err
		}
		e.out.Infof("%v", err)
		failed = append(failed, strconv.Itoa(i+1))
	}
	if notSigned > 0 {
		e.out.Warnf("%s of %d shown may not come from the officers (the reasons are above); before acting on any of them, confirm it through the organisation that referred you, or another channel you trust", cli.Plural(notSigned, "reply"), len(list))
	}
	if len(failed) > 0 {
		h := "the reasons are above; the others were shown"
		if *outDir != "" {
			h += " and saved; run the same command again to try again (replies already saved are skipped)"
		}
		return failf("%s of %d not shown or not saved: %s", cli.Plural(len(failed), "reply"), len(list), strings.Join(failed, ", ")).Hint("%s", h)
	}
	return nil
}

// A run of refuge replies downloads and opens the replies in a private
// folder of the state folder, removed when it ends. Without -o that is
// where each reply's message and files are until then: a run killed, or
// cut off by a power loss, leaves them there. The next run removes such
// folders; it tells them from those of a run still at work by their lock,
// which the running one holds (and which goes with the process however
// it ends). A folder gets its name repliesTempPrefix… only once its lock
// is held: until then it is repliesNewPrefix…, holding nothing.
const (
	repliesTempPrefix = "replies-"
	repliesNewPrefix  = ".replies-new-"
)

// repliesTemp removes the reply folders that killed runs left in state,
// and creates this run's, locked. done removes it, and the state folder
// and its parents that this run made, innermost first, while nothing
// else is in them (no root key was given, so no manifest version was
// kept): a folder that was there before stays, and so does whatever
// another run keeps there.
func repliesTemp(state string) (dir string, done func(), err error) {
	removeStaleReplyTemps(state)
	made, err := makeStateDir(state)
	if err != nil {
		return "", nil, err
	}
	var tmp string
	var lock *os.File
	defer func() {
		if err == nil {
			return
		}
		if lock != nil {
			lock.Close()
		}
		if tmp != "" {
			os.RemoveAll(tmp) // #nosec G104 -- ours and empty; the error says why
		}
		made.RemoveEmpty()
	}()
	if tmp, err = os.MkdirTemp(state, repliesNewPrefix+"*"); err != nil {
		tmp = ""
		return "", nil, err
	}
	if lock, err = os.OpenFile(filepath.Join(tmp, lockFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
		lock = nil
		return "", nil, err
	}
	if err = flock.TryLock(lock); errors.Is(err, errors.ErrUnsupported) {
		err = nil
	} else if err != nil {
		return "", nil, err
	}
	dir = filepath.Join(state, repliesTempPrefix+strings.TrimPrefix(filepath.Base(tmp), repliesNewPrefix))
	if err = noreplace.Rename(tmp, dir); err != nil {
		return "", nil, err
	}
	// The lock is let go first (Windows removes no open file); a run that
	// takes it in between removes the folder as this one does.
	return dir, func() { lock.Close(); os.RemoveAll(dir); made.RemoveEmpty() }, nil
}

// removeStaleReplyTemps removes, in state, the reply folders whose lock no
// run holds (see repliesTemp), and those of older versions, which had
// none. A link is not followed, and a folder whose lock cannot be told
// (a file system without locks) is left alone; so is a repliesNewPrefix
// folder, which may be another run's about to be locked, and holds
// nothing but an empty lock file.
func removeStaleReplyTemps(state string) {
	entries, _ := os.ReadDir(state)
	for _, en := range entries {
		name := en.Name()
		if en.Type() != fs.ModeDir || !strings.HasPrefix(name, repliesTempPrefix) {
			continue
		}
		dir := filepath.Join(state, name)
		f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			os.RemoveAll(dir) // #nosec G104 -- best effort; the next run tries again
			continue
		}
		if err != nil {
			continue
		}
		err = flock.TryLock(f)
		f.Close()
		if err == nil {
			os.RemoveAll(dir) // #nosec G104 -- best effort; the next run tries again
		}
	}
}

// partialReplyPrefix begins the name of the hidden folder, directly in the
// -o folder, where a reply is written before it becomes reply-<id>.
const partialReplyPrefix = ".refuge-partial-reply-"

// savedReply reports whether name is the folder of a saved reply: a
// folder (not a link to one), which is there only once complete.
func savedReply(name string) bool {
	fi, err := os.Lstat(name)
	return err == nil && fi.IsDir()
}

// removeStalePartials removes the partial reply folders that an
// interrupted run left directly in dir: folders whose name begins with
// partialReplyPrefix. Anything else of that name (a symbolic link, a
// file) is left alone, and no link is followed: os.RemoveAll removes a
// link, never what it points to.
func removeStalePartials(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, en := range entries {
		if !strings.HasPrefix(en.Name(), partialReplyPrefix) || en.Type() != fs.ModeDir {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, en.Name())); err != nil {
			return err
		}
	}
	return nil
}

// newPartialReply creates a new, empty partial reply folder in dir, of a
// random name, mode 0700.
func newPartialReply(dir string) (string, error) {
	for range 3 {
		var b [8]byte
		rand.Read(b[:]) // never fails (crypto/rand)
		name := filepath.Join(dir, partialReplyPrefix+hex.EncodeToString(b[:]))
		err := os.Mkdir(name, 0o700)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", errors.New("no free temporary name")
}

// finishReply makes the partial folder the saved reply final: its
// content and the folder itself are synced, it is renamed to final,
// never over anything there, and the -o folder is synced. After a
// failure nothing is at final.
func finishReply(partial, final string) error {
	if err := noreplace.SyncDir(partial); err != nil {
		return err
	}
	if err := noreplace.Rename(partial, final); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists and is not a saved reply; move it away and run again", final)
	} else if err != nil {
		return err
	}
	if err := noreplace.SyncDir(filepath.Dir(final)); err != nil {
		os.RemoveAll(final) // #nosec G104 -- ours, and not durably there: the error says it was not saved
		return err
	}
	return nil
}

// oneReply downloads, opens, checks, shows and (with -o) saves reply n; it
// reports whether the reply is signed by the officers.
func (e *env) oneReply(ctx context.Context, c *client.Client, keys *receipt.Keys, tok string, r api.Reply, n, total int, tmp, outDir string, auth replyAuthority) (bool, error) {
	ct := filepath.Join(tmp, r.ID+".age")
	if err := c.DownloadReply(ctx, keys.SubmissionID(), tok, r, ct); err != nil {
		return false, netFail("", err)
	}
	// One reply's ciphertext at a time in the temporary folder: what was
	// opened or refused goes before the next comes.
	defer os.Remove(ct) // #nosec G104 -- in the private temporary folder, removed whole at the end
	dest := filepath.Join(tmp, "open-"+r.ID)
	if outDir != "" {
		var err error
		if dest, err = newPartialReply(outDir); err != nil {
			return false, failf("cannot save reply %d: %v", n, err)
		}
		defer os.RemoveAll(dest) // #nosec G104 -- gone once saved; otherwise the partial reply
	} else if err := os.Mkdir(dest, 0o700); err != nil {
		return false, failf("cannot create %s: %v", dest, errors.Unwrap(err))
	}
	f, err := os.Open(ct)
	if err != nil {
		return false, failf("%v", err)
	}
	defer f.Close()
	// Only a reply is opened: a submission or a referral sealed to this
	// phrase's reply key (by whoever holds the server) is refused before
	// anything of it is moved into place.
	res, err := bundle.Open(f, []age.Identity{keys.Identity()}, dest, bundle.Options{Kinds: []string{bundle.KindReply}})
	if errors.Is(err, bundle.ErrNotBundle) {
		v := auth.plain()
		return v.signed, e.plainReply(f, keys, r, n, total, dest, outDir, v)
	}
	if errors.Is(err, bundle.ErrUnexpectedKind) {
		os.Remove(dest)
		return false, failf("reply %d of %d is not an officers' reply (it is a bundle of another kind); it was discarded", n, total)
	}
	if err != nil {
		return false, failf("reply %d of %d could not be opened: %v", n, total, err)
	}
	if res.Kind != bundle.KindReply || res.SubmissionID != keys.SubmissionID() {
		return false, failf("reply %d of %d is not an officers' reply to this submission; it was discarded", n, total)
	}
	v := auth.check(res.ManifestJSON, res.Signature, keys.SubmissionID(), res.Created)
	saved := ""
	if outDir != "" {
		saved = filepath.Join(outDir, "reply-"+r.ID)
		err := writeWarning(dest, v)
		if err == nil {
			err = finishReply(dest, saved)
		}
		if err != nil {
			return false, failf("cannot save reply %d: %v", n, err)
		}
	}
	e.warnReply(v, n, total)
	e.printReply(r, n, total, res.Note, res.NoteTruncated, v)
	files := 0
	for _, en := range res.Entries {
		if len(en.Name) > 6 && en.Name[:6] == "files/" {
			files++
		}
	}
	if outDir != "" {
		e.out.Infof("reply %d saved in %s", n, filepath.Join(saved, filepath.Base(res.Dir)))
	} else if files > 0 {
		e.out.Infof("reply %d has %s attached; run again with -o DIR to keep them", n, cli.Plural(files, "file"))
	}
	return v.signed, nil
}

// printReply prints a reply's message on standard output. The message
// comes from outside (whoever could encrypt to the reply key, through the
// server): it is shown with every character a terminal would act on
// replaced (termtext.Text), so that it cannot clear the screen, set the
// window title or the clipboard, or hide or reorder its own text. The
// copy saved with -o is the message as it came.
//
// The header line says who wrote it, as far as this device can tell (v),
// and so does the end line, for a message longer than the screen. A
// message can hold a line that looks like a header ("--- reply 1 of 1
// (DAY), signed by the officers on DAY ---"): every row of the message
// begins with messageMark, and a line too long for the terminal is
// folded here (quoteMessage), each row marked, so that the terminal
// never wraps one to the start of a row, where only refuge's own lines
// are.
func (e *env) printReply(r api.Reply, n, total int, msg string, truncated bool, v replyVerdict) {
	var b strings.Builder
	fmt.Fprintf(&b, "--- reply %d of %d (%s), %s ---\n", n, total, r.Created, v.label())
	b.WriteString(quoteMessage(termtext.Text(msg), outputCols(e.stdout)))
	if truncated {
		b.WriteString("[the message continues; save it with -o DIR]\n")
	}
	fmt.Fprintf(&b, "--- end of reply %d of %d, %s ---\n", n, total, v.label())
	io.WriteString(e.stdout, b.String()) // #nosec G104 -- standard output; nothing to do if it is gone
}

// messageMark begins every row of a reply's message on standard output.
const messageMark = "| "

// outputCols is the width, in columns, that a reply's message is folded
// to: the terminal's when w is one, else 80.
func outputCols(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

// quoteMessage returns msg (text for a terminal: termtext.Text) with
// messageMark before each line, every line folded so that no row is
// wider than cols columns, each row marked. Columns are over-counted,
// never under-counted (runeCols), so a terminal never wraps a row
// itself: a fold comes early rather than late. A line ending at the end
// of msg ends the message; an empty msg is one empty row.
func quoteMessage(msg string, cols int) string {
	room := max(cols-len(messageMark), 4)
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(msg, "\n"), "\n") {
		b.WriteString(messageMark)
		used := 0
		for _, r := range line {
			w := runeCols(r)
			// A mark is drawn on the character before it: it is not
			// parted from it, unless marks alone would overfill the row.
			mark := unicode.In(r, unicode.Mn, unicode.Me) && used <= room
			if used > 0 && used+w > room && !mark {
				b.WriteString("\n" + messageMark)
				used = 0
			}
			b.WriteRune(r)
			used += w
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// runeCols is at least the number of columns a terminal takes to show r,
// a character termtext.Text keeps: 8 for a tab (the most it can move), 2
// for an East Asian wide, fullwidth or ambiguous character (ambiguous
// ones are 2 columns in some terminals), 1 for anything else, combining
// marks included (0 on most terminals).
func runeCols(r rune) int {
	switch {
	case r == '\t':
		return 8
	case r < 0x80:
		return 1
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth, width.EastAsianAmbiguous:
		return 2
	}
	return 1
}

// plainReply handles a reply that is an age file but not a bundle: its
// plaintext is shown as text (zero padding removed) and, with -o, saved
// as message.txt (written synced) in the partial folder dest, which then
// becomes reply-<id>. It carries no signature: v warns.
func (e *env) plainReply(f *os.File, keys *receipt.Keys, r api.Reply, n, total int, dest, outDir string, v replyVerdict) error {
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
	if outDir != "" {
		err := noreplace.WriteFile(filepath.Join(dest, "message.txt"), func(w io.Writer) error {
			_, err := w.Write(b)
			return err
		})
		saved := filepath.Join(outDir, "reply-"+r.ID)
		if err == nil {
			err = writeWarning(dest, v)
		}
		if err == nil {
			err = finishReply(dest, saved)
		}
		if err != nil {
			return failf("cannot save reply %d: %v", n, err)
		}
		e.warnReply(v, n, total)
		e.printReply(r, n, total, string(b), false, v)
		e.out.Infof("reply %d saved in %s", n, saved)
		return nil
	}
	e.warnReply(v, n, total)
	e.printReply(r, n, total, string(b), false, v)
	return nil
}
