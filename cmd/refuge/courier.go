package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"refuge/client"
	"refuge/internal/cli"
	"refuge/internal/diskfree"
	"refuge/internal/lowerhex"
	"refuge/internal/progress"
	"refuge/internal/uploaders"
	"refuge/server/api"
)

const courierHelp = `Usage:
    refuge courier pull --token T -o DIR
    refuge courier push --token T DIR

For the courier's online machine, which carries ciphertext to and from the
officers' air-gapped desk and never holds a decryption key.

pull downloads every submission's ciphertext that is not yet in DIR, as
DIR/<submission id>.age, resuming partial downloads (Range) and checking each
against the SHA-256 the server lists; writes DIR/SHA256SUMS (check it with
"sha256sum -c SHA256SUMS" on the other side) and DIR/UPLOADERS (who uploaded
each bundle, as the server recorded it: the officer's report names the
partner that relayed a bundle); and fetches the server's
hash-chained event log into DIR/events.log, verified entry by entry and
against the head seen last time (DIR/events-head.json). A server that
rewrites or drops history is reported and the pull fails.

push uploads what the officers produced for the server, from DIR:
    DIR/manifest.json + .minisig           a new key manifest (from
                                           refuge-officer manifest sign)
    DIR/replies/<submission id>/*.age      replies (age files to the submitter)
    DIR/acks/*.json + *.json.minisig       signed acknowledgements
Each pushed file is moved to DIR/sent/ so a second push sends nothing twice;
a DIR holding none of these, nor sent/, is refused (the wrong folder?).
An acknowledgement makes the server delete that ciphertext. The server
publishes a key manifest only if its root key signed it and its version is
higher than the one it has.

Flags:
    --token T        the courier token (default: $REFUGE_TOKEN)
    -o DIR           pull: where the ciphertext goes (created if needed)
` + connHelp + `

Examples:
    $ refuge courier pull --token "$(cat courier.token)" -o /media/usb/inbox
    $ refuge courier push --token "$(cat courier.token)" /media/usb/outbox

Exit codes: 0 done, 1 failed (also: the event log does not verify), 2 bad
command line, 4 network failure after retries (run again; it resumes), 130
interrupted by Ctrl-C or SIGTERM (likewise).`

// courierCommands are the courier's subcommands, in the order its
// messages list them.
var courierCommands = cli.Commands[func(e *env, args []string) error]{
	{Name: "pull", Run: (*env).courierPull},
	{Name: "push", Run: (*env).courierPush},
}

func cmdCourier(e *env, args []string) error {
	either := strings.Join(courierCommands.Names(), " or ")
	if len(args) == 0 {
		return usagef("courier", "courier needs %s", either)
	}
	args, ce := courierCommands.HelpFirst(prog+" courier", args) // "courier help pull"
	if ce != nil {
		return ce
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprintln(e.stdout, courierHelp)
		return nil
	}
	if run, ok := courierCommands.Lookup(args[0]); ok {
		return run(e, args[1:])
	}
	if ce := cli.CommandAfterFlags(prog+" courier", args, courierCommands.Names()); ce != nil {
		return ce
	}
	ce = usagef("courier", "unknown courier command %q (%s)", args[0], either)
	if near := cli.Nearest(args[0], courierCommands.Names()); near != "" {
		ce.Hint("did you mean %q?", prog+" courier "+near)
	}
	return ce
}

func (e *env) courierSetup(name string, args []string, withOut bool) (*client.Client, string, string, []string, error) {
	fl := e.newFlags("courier", courierHelp)
	cn := addConn(fl)
	token := fl.String("token", "", "")
	var out *string
	if withOut {
		out = fl.String("o", "", "")
	}
	parse := cli.ParsePaths // push DIR: a folder named help is pushed
	if withOut {
		parse = cli.Parse // pull takes no arguments
	}
	pos, err := parse(fl, args)
	if err != nil {
		return nil, "", "", nil, err
	}
	tok, err := tokenFrom(*token, "courier")
	if err != nil {
		return nil, "", "", nil, err
	}
	p, _, err := cn.settings("courier", false)
	if err != nil {
		return nil, "", "", nil, err
	}
	c, err := e.newClient(p)
	if err != nil {
		return nil, "", "", nil, err
	}
	dir := ""
	if withOut {
		dir = *out
	}
	return c, tok, dir, pos, nil
}

// eventHead is the last verified entry of the server's event log.
type eventHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

func (e *env) courierPull(args []string) error {
	c, tok, dir, pos, err := e.courierSetup("pull", args, true)
	if err != nil {
		return err
	}
	defer c.Close()
	if len(pos) > 0 {
		return usagef("courier", "unexpected argument %q", pos[0])
	}
	if dir == "" {
		return usagef("courier", "pull needs -o DIR")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failf("cannot create %s: %v", dir, errors.Unwrap(err))
	}
	ctx, stop := e.interruptible("run the same command again: it goes on where it stopped")
	defer stop()

	// The event log first: a server caught rewriting history gets no
	// further trust.
	head, err := e.pullEvents(ctx, c, tok, dir)
	if err != nil {
		return err
	}
	subs, err := c.Submissions(ctx, tok)
	if err != nil {
		return netFail("", err)
	}
	pull := notPulled(dir, subs)
	if err := e.roomToPull(dir, pull); err != nil {
		return err
	}
	got := 0
	checked := map[string]string{} // id -> the SHA-256 its download was checked against
	for _, s := range pull {
		path := filepath.Join(dir, s.ID+".age")
		p := progress.Start(e.stderr, prog, "pull "+s.ID[:8], s.Size, progress.Always)
		err := c.DownloadCiphertext(ctx, tok, s, path, &p.N)
		p.Finish()
		if err != nil {
			return netFail("", err)
		}
		checked[s.ID] = s.SHA256
		got++
	}
	if err := e.writeSums(dir, subs, checked); err != nil {
		return err
	}
	if err := e.writeUploaders(dir, subs); err != nil {
		return err
	}
	e.out.Infof("pulled %s; %d listed; event log verified up to entry %d", cli.Plural(got, "new submission"), len(subs), head.Seq)
	return nil
}

// notPulled returns the listed submissions that dir does not hold yet:
// not deleted, with a well-formed id, and no ID.age there.
func notPulled(dir string, subs []api.Submission) []api.Submission {
	var pull []api.Submission
	for _, s := range subs {
		if s.Status == "deleted" || !lowerhex.ID(s.ID) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, s.ID+".age")); err == nil {
			continue
		}
		pull = append(pull, s)
	}
	return pull
}

// roomToPull checks, before anything is downloaded, that the
// submissions to pull fit in the free space of dir: the sizes the server
// lists (less what partial downloads already hold) against what the file
// system gives. A seized server could otherwise list a few huge
// submissions and fill the courier's disk. Where the free space cannot be
// told (systems other than Linux, macOS and Windows), there is no check;
// a download still never writes past its listed size.
func (e *env) roomToPull(dir string, pull []api.Submission) error {
	var need int64
	for _, s := range pull {
		left := s.Size
		if fi, err := os.Stat(filepath.Join(dir, s.ID+".age.part")); err == nil && fi.Size() <= s.Size {
			left -= fi.Size()
		}
		if left > math.MaxInt64-need { // far more than any disk
			need = math.MaxInt64
		} else {
			need += left
		}
	}
	if need == 0 {
		return nil
	}
	free, known, err := diskfree.Available(dir)
	if err != nil {
		e.out.Warnf("cannot tell the free space in %s (%v); pulling without checking it", dir, err)
		return nil
	}
	if !known || need <= free {
		return nil
	}
	return failf("not enough free space in %s: pulling %s needs %s, and %s is free; nothing was downloaded", dir,
		cli.Plural(len(pull), "new submission"), progress.Size(need), progress.Size(free)).
		Hint("free some space there or pull to a larger disk, and run the command again; the server keeps the submissions until the officers acknowledge them")
}

// pullEvents fetches the whole log, verifies the chain from its start and
// that it still holds the head seen last time, and saves it.
func (e *env) pullEvents(ctx context.Context, c *client.Client, tok, dir string) (eventHead, error) {
	var old eventHead
	headPath := filepath.Join(dir, "events-head.json")
	if data, err := os.ReadFile(headPath); err == nil {
		if err := json.Unmarshal(data, &old); err != nil {
			return old, failf("%s is damaged: %v", headPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return old, failf("cannot read %s: %v", headPath, err)
	}
	evs, err := c.Events(ctx, tok, 1)
	if err != nil {
		return old, netFail("", err)
	}
	seq, hash, err := client.VerifyEvents(0, client.ZeroHash, evs)
	if err != nil {
		return old, failf("the server's %v", err).Hint("the server's history is not what it was; keep DIR as evidence and tell the officers")
	}
	if old.Seq > 0 {
		if seq < old.Seq {
			return old, failf("the server's event log is shorter than when last seen (%d entries, %d before): history was dropped", seq, old.Seq).
				Hint("keep DIR as evidence and tell the officers")
		}
		if evs[old.Seq-1].Hash != old.Hash {
			return old, failf("the server's event log was rewritten before entry %d, which was seen last time", old.Seq).
				Hint("keep DIR as evidence and tell the officers")
		}
	}
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "%s %s", ev.Hash, client.EventLine(ev))
	}
	if err := writeFileAtomic(filepath.Join(dir, "events.log"), []byte(b.String())); err != nil {
		return old, failf("cannot save the event log: %v", err)
	}
	head := eventHead{Seq: seq, Hash: hash}
	data, _ := json.Marshal(head)
	if err := writeFileAtomic(headPath, append(data, '\n')); err != nil {
		return old, failf("cannot save the event log head: %v", err)
	}
	return head, nil
}

// writeSums writes SHA256SUMS for every pulled ciphertext in dir, in the
// format of sha256sum. A file's hash is the one its bytes were checked
// against: for a file downloaded now, the hash in checked (by id); for one
// pulled before, the line SHA256SUMS already holds, or, if there is none
// (a pull stopped between saving the file and writing SHA256SUMS), the
// hash of the file itself, which was checked before it got its name. What
// the server lists later never replaces it: a seized server could
// otherwise make the officers' check of the inbox pass for a file swapped
// on the way, or fail for the true one. A server that now lists another
// hash for a pulled file is said so. Entries of files pulled before that
// the server no longer lists are kept.
func (e *env) writeSums(dir string, subs []api.Submission, checked map[string]string) error {
	path := filepath.Join(dir, "SHA256SUMS")
	sums := map[string]string{}                    // file name -> hash
	if old, err := os.ReadFile(path); err == nil { // #nosec G304 -- in the courier's own folder
		for _, l := range strings.Split(string(old), "\n") {
			if f := strings.Fields(l); len(f) == 2 {
				sums[f[1]] = f[0]
			}
		}
	}
	for _, s := range subs {
		if !lowerhex.ID(s.ID) {
			continue
		}
		name := s.ID + ".age"
		if h, ok := checked[s.ID]; ok {
			sums[name] = h
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			continue
		}
		h, ok := sums[name]
		if !ok {
			var err error
			if h, err = fileSHA256(filepath.Join(dir, name)); err != nil {
				return failf("cannot read %s: %v", name, err)
			}
			sums[name] = h
		}
		if h != s.SHA256 {
			e.out.Warnf("the server now lists another SHA-256 for %s than the one it was checked against when pulled; SHA256SUMS keeps the checked one. Tell the officers: the server's record changed", name)
		}
	}
	lines := make([]string, 0, len(sums))
	for name, h := range sums {
		lines = append(lines, h+"  "+name+"\n")
	}
	sort.Strings(lines)
	if err := writeFileAtomic(path, []byte(strings.Join(lines, ""))); err != nil {
		return failf("cannot write SHA256SUMS: %v", err)
	}
	return nil
}

// fileSHA256 returns the SHA-256 of the file at path, in lowercase hex.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path) // #nosec G304 -- a ciphertext in the courier's own folder
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeUploaders writes UPLOADERS (package uploaders) for every pulled
// ciphertext in dir: the kind of upload and the partner the server
// recorded, which the officer's report shows (a relayed bundle names no
// sender of its own). Entries of files pulled before that the server no
// longer lists are kept, and so is an entry the server now records
// differently: the first record stands and the change is warned of. A server's record that is not well formed (a
// hostile server) is left out and said so; the bundle is still pulled.
func (e *env) writeUploaders(dir string, subs []api.Submission) error {
	path := filepath.Join(dir, uploaders.FileName)
	have := map[string]uploaders.Entry{}
	if old, err := os.ReadFile(path); err == nil { // #nosec G304 -- in the courier's own folder
		if have, err = uploaders.Parse(old); err != nil {
			e.out.Warnf("%s was damaged (%v): written again from the server's list, without bundles it no longer lists", path, err)
			have = map[string]uploaders.Entry{}
		}
	}
	for _, s := range subs {
		if !lowerhex.ID(s.ID) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, s.ID+".age")); err != nil {
			continue
		}
		en := uploaders.Entry{ID: s.ID, Kind: s.Kind, Partner: s.Partner}
		if err := en.Valid(); err != nil {
			e.out.Warnf("the server's record of who uploaded %s is malformed (%v): left out of %s", s.ID, err, uploaders.FileName)
			continue
		}
		if first, ok := have[s.ID]; ok && first != en {
			// Who uploaded a bundle is fixed when it is received: a
			// record that changes later is the server's doing, and the
			// officers are told rather than shown the new one.
			e.out.Warnf("the server now records another uploader for %s.age (%s) than when it was pulled (%s); %s keeps the first. Tell the officers: the server's record changed",
				s.ID, describeUploader(en), describeUploader(first), uploaders.FileName)
			continue
		}
		have[s.ID] = en
	}
	list := make([]uploaders.Entry, 0, len(have))
	for _, en := range have {
		list = append(list, en)
	}
	data, err := uploaders.Format(list)
	if err == nil {
		err = writeFileAtomic(path, data)
	}
	if err != nil {
		return failf("cannot write %s: %v", uploaders.FileName, err)
	}
	return nil
}

// describeUploader names an entry's kind and partner for a warning (a
// valid entry's partner name is printable, and e.out.Warnf passes all
// through termtext).
func describeUploader(en uploaders.Entry) string {
	if en.Partner == "" {
		return en.Kind
	}
	return en.Kind + " " + en.Partner
}

func (e *env) courierPush(args []string) error {
	c, tok, _, pos, err := e.courierSetup("push", args, false)
	if err != nil {
		return err
	}
	defer c.Close()
	if len(pos) != 1 {
		return usagef("courier", "push needs exactly one DIR")
	}
	dir := pos[0]
	if err := checkOutbox(dir); err != nil {
		return err
	}
	ctx, stop := e.interruptible("run the same command again: it goes on where it stopped")
	defer stop()
	state, err := stateDir()
	if err != nil {
		return err
	}
	// A reply or an acknowledgement that the server refuses does not stop
	// the others: each is tried, the refused ones stay where they are (with
	// the reason printed) and the push fails at the end. A network failure
	// stops it at once: running it again goes on from there.
	replies, acks := 0, 0
	var refused []string
	try := func(name string, err error) (bool, error) {
		if err == nil {
			return true, nil
		}
		// A network failure stops the push (the next run goes on from
		// there), and so does a reply that another push is sending.
		if resumable(err) || ctx.Err() != nil || errors.Is(err, errBusy) {
			return false, err
		}
		e.out.Infof("refused, left in place: %v", err)
		refused = append(refused, name)
		return false, nil
	}
	// A new key manifest first: manifest.json with manifest.json.minisig.
	published := false
	if _, err := os.Lstat(filepath.Join(dir, "manifest.json")); err == nil {
		isNew, err := e.pushManifest(ctx, c, tok, dir)
		ok, err := try(filepath.Join(dir, "manifest.json"), err)
		if err != nil {
			return err
		}
		published = ok && isNew
	}
	// Replies: replies/<submission id>/*.age
	subdirs, _ := os.ReadDir(filepath.Join(dir, "replies"))
	for _, sd := range subdirs {
		if !sd.IsDir() || !lowerhex.ID(sd.Name()) {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "replies", sd.Name(), "*.age"))
		sort.Strings(files)
		for _, f := range files {
			ok, err := try(f, e.pushReply(ctx, c, tok, state, dir, sd.Name(), f))
			if err != nil {
				return err
			}
			if ok {
				replies++
			}
		}
	}
	// Acknowledgements: acks/*.json with *.json.minisig
	stmts, _ := filepath.Glob(filepath.Join(dir, "acks", "*.json"))
	sort.Strings(stmts)
	for _, f := range stmts {
		ok, err := try(f, e.pushAck(ctx, c, tok, dir, f))
		if err != nil {
			return err
		}
		if ok {
			acks++
		}
	}
	if published {
		e.out.Infof("pushed the key manifest, %s and %s", cli.Plural(replies, "reply"), cli.Plural(acks, "acknowledgement"))
	} else {
		e.out.Infof("pushed %s and %s", cli.Plural(replies, "reply"), cli.Plural(acks, "acknowledgement"))
	}
	if len(refused) > 0 {
		return failf("the server refused %s, still in %s: %s; the rest went through",
			cli.Plural(len(refused), "file"), dir, strings.Join(refused, ", ")).
			Hint("the reasons are above; an acknowledgement refused for its signature or hash deletes nothing, so check the officer's outbox before pushing it again")
	}
	return nil
}

// checkOutbox refuses a DIR for push that is not a folder, or that holds
// none of what push sends or has sent: a mistyped path, or the media's
// root instead of its outbox, would otherwise push nothing and succeed.
func checkOutbox(dir string) error {
	const hint = "give the officers' outbox: the folder that \"refuge-officer open --outbox\" and \"refuge-officer reply -o\" wrote to (such as /media/usb/outbox)"
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return failf("cannot push from %s: %v", dir, cli.Reason(err)).Hint(hint)
	case !fi.IsDir():
		return failf("cannot push from %s: it is a file, not a folder", dir).Hint(hint)
	}
	for _, name := range []string{"manifest.json", "replies", "acks", "sent"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return nil
		}
	}
	return failf("%s holds nothing to push: no replies, acks or manifest.json in it", dir).Hint(hint)
}

func (e *env) pushReply(ctx context.Context, c *client.Client, tok, state, dir, id, file string) error {
	if err := checkAgeFile(file); err != nil {
		return err
	}
	size, err := fileSize(file)
	if err != nil {
		return failf("cannot read %s: %v", file, errors.Unwrap(err))
	}
	pdir, err := pendingDir(state, c.Server(), "reply", []string{file}, nil)
	if err != nil {
		return err
	}
	pd, err := e.openPending(pdir, file)
	if err != nil {
		return err
	}
	defer pd.release()
	st, ok, err := pd.state()
	if err != nil {
		return err
	}
	if !ok {
		// Saved (and the folder made) with the upload's URL: until then
		// the reply file is all a run needs.
		st = uploadState{Server: c.Server(), Kind: "reply", SubmissionID: id, Size: size}
	}
	if err := e.upload(ctx, c, tok, pd, &st, file, "reply"); err != nil {
		return err
	}
	pd.clear()
	return moveSent(dir, file)
}

func (e *env) pushAck(ctx context.Context, c *client.Client, tok, dir, file string) error {
	stmt, err := os.ReadFile(file)
	if err != nil {
		return failf("cannot read %s: %v", file, errors.Unwrap(err))
	}
	sig, err := os.ReadFile(file + ".minisig")
	if err != nil {
		return failf("acknowledgement %s has no signature beside it (%s.minisig)", file, filepath.Base(file))
	}
	res, err := c.PostAck(ctx, tok, stmt, sig)
	switch {
	case errors.Is(err, api.ErrGone):
		e.out.Infof("%s: the server had already deleted that ciphertext", filepath.Base(file))
	case err != nil:
		return netFail("acknowledgement "+filepath.Base(file), err)
	default:
		e.out.Infof("%s: submission %s acknowledged; the server deleted its ciphertext", filepath.Base(file), res.SubmissionID)
	}
	if err := moveSent(dir, file+".minisig"); err != nil {
		return err
	}
	return moveSent(dir, file)
}

// pushManifest publishes DIR/manifest.json, a key manifest the officers
// signed (refuge-officer manifest sign -o DIR/manifest.json), with its
// signature beside it. The server checks it against its root key; one
// that is not newer than the server's is already published: it is moved
// to sent/ too, and isNew is false.
func (e *env) pushManifest(ctx context.Context, c *client.Client, tok, dir string) (isNew bool, err error) {
	file := filepath.Join(dir, "manifest.json")
	mj, err := readSmall(file, maxManifestFile)
	if err != nil {
		return false, err
	}
	sig, err := readSmall(file+".minisig", maxManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return false, failf("the key manifest %s has no signature beside it (manifest.json.minisig)", file).
			Hint("refuge-officer manifest sign writes both files: carry them together")
	}
	if err != nil {
		return false, err
	}
	version, err := c.PutManifest(ctx, tok, mj, sig)
	switch {
	case errors.Is(err, api.ErrConflict):
		e.out.Infof("manifest.json: the server already has this key manifest or a newer one; nothing to publish")
	case errors.Is(err, &api.Error{Code: api.CodeUnprocessable}):
		return false, failf("key manifest %s: the server refused it: %v", file, errors.Unwrap(err)).
			Hint("the server accepts only a manifest signed by its root key, not expired, with post-quantum recipients")
	case err != nil:
		return false, netFail("key manifest", err)
	default:
		isNew = true
		e.out.Infof("manifest.json: published key manifest version %d", version)
	}
	if err := moveSent(dir, file+".minisig"); err != nil {
		return false, err
	}
	return isNew, moveSent(dir, file)
}

// maxManifestFile bounds the manifest and signature push reads (the
// manifest format allows at most 64 KiB).
const maxManifestFile = 64 << 10

// readSmall reads file, refusing one larger than limit bytes.
func readSmall(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file) // #nosec G304 -- a file in the folder the courier named
	if err != nil {
		return nil, &cli.Error{Code: exitError, Msg: fmt.Sprintf("cannot read %s: %v", file, errors.Unwrap(err)), Cause: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err // without the file's name a second time
		}
		return nil, failf("cannot read %s: %v", file, err)
	}
	if int64(len(b)) > limit {
		return nil, failf("%s is larger than a key manifest can be (%d KiB)", file, limit>>10)
	}
	return b, nil
}

// moveSent moves a pushed file to DIR/sent/, keeping its path below DIR.
func moveSent(dir, file string) error {
	rel, err := filepath.Rel(dir, file)
	if err != nil {
		return failf("%v", err)
	}
	dst := filepath.Join(dir, "sent", rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return failf("cannot move %s to sent/: %v", file, err)
	}
	if err := os.Rename(file, dst); err != nil {
		return failf("cannot move %s to sent/: %v", file, err)
	}
	return nil
}
