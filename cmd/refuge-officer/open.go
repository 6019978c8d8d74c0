package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"filippo.io/age"

	"refuge/crypto/ack"
	"refuge/crypto/bundle"
	"refuge/crypto/manifest"
	"refuge/crypto/secrets"
	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/internal/progress"
	"refuge/internal/termtext"
)

const openHelp = `Usage: refuge-officer open -i FILE [--passphrase-file F] -o OUTDIR
           [--manifest FILE --root-pub KEY] [--ack-key FILE --outbox DIR]
           BUNDLE...

Decrypts each BUNDLE with the officer identity FILE (made by keygen; its
passphrase is asked once), verifies every entry against the bundle's
manifest.json, and moves the contents into OUTDIR/<submission id>/ only after
the whole bundle authenticated. Nothing is ever written outside OUTDIR; links,
devices, absolute or ".." paths, duplicates and size lies are refused. Only
submissions are opened: a bundle of kind "reply" is refused (officers send
replies; a reply sealed to the desk's key with reply -i is read with age -d).
OUTDIR is never the outbox, inside it, or a folder that holds acks,
replies or sent as an outbox does: the courier carries the outbox to the
online machine (exit 2, nothing opened).

A bundle already opened into OUTDIR is skipped without being decrypted
again, whatever its file name: a report.txt in OUTDIR records the SHA-256 of
its bytes (a bundle is hashed first only when a report records its size), so
a run cut short can be run again on the whole inbox. Another bundle for a
submission already in OUTDIR is refused. Nothing is ever overwritten but
the acknowledgement line of a report.txt (see --ack-key below).

For each bundle it writes OUTDIR/<submission id>/report.txt: files, sizes
and hashes, the sender (a partner's signature checked against the key
manifest's partner keys, or "unauthenticated (anonymous submission)"), the
note, the referral form as text, and whether the bundle was sealed for the
submission id it was pulled under (the courier names
files <submission id>.age; SHA256SUMS beside them is checked too; a bundle
named otherwise, such as one handed over by hand, is "not checked" for it),
and who uploaded it, from the courier's UPLOADERS beside it (the server's
record, not signed: for a relayed bundle, the partner that relayed it).
When that record and the bundle's partner signature disagree (a referral
uploaded with a partner's token but not signed, a bundle signed by another
partner than the one whose token uploaded it, a signed bundle recorded as
an anonymous upload), a NOTICE says what disagrees and what it can mean. A
relay of a bundle a defender sealed carries no signature, as it should. The
notice is not a flag: the record is the server's, signed by no one.
The report holds plaintext and stays on this machine.

With --ack-key, each bundle that opened and was not flagged gets a signed
acknowledgement in the outbox, OUTBOX/acks/<submission id>.json (+ .minisig):
"ciphertext with this SHA-256 is imported". When the courier pushes it, the
server deletes that ciphertext. A flagged bundle (id mismatch, bad partner
signature) gets none: the ciphertext stays on the server as evidence. A
bundle skipped as opened before gets its acknowledgement too, signed from
the submission id and ciphertext SHA-256 its report.txt records, unless it
is flagged, it was pushed already (it is in OUTBOX/sent/acks), or
--manifest is given now and it names a partner whose signature was not
checked when it was opened (no --manifest then). If its report.txt said
that no acknowledgement was written, open then rewrites it (atomically, in
its folder, never through a link) with only that line changed: it says
what became of the acknowledgement, by a later open, and what it said
before.

A summary goes to standard output. A bundle that fails leaves nothing behind;
the others are still opened, unless OUTDIR could not take it (or its
report.txt): full, read-only or not this account's. open then stops at that
bundle, says how many it opened, and the same command goes on once there is
room. An OUTDIR that open made is removed again when nothing was opened into
it (one that was there stays as it was). Exit code 3 if any bundle failed or
was flagged, or open stopped at one.
A BUNDLE that does not exist or is a folder stops open before the passphrase
is asked: exit code 1, nothing written. So does an OUTDIR that cannot be
made or written into (a file in the way, a read-only disk, a folder this
account may not write to) and, with --ack-key, an outbox that cannot.
Ctrl-C (or SIGTERM) stops open between bundles, or in the middle of one: a
bundle already opened gets its report and acknowledgement first; of the one
being read nothing is kept (its staging folder is removed). open says which
bundles it opened and which not, and exits 130; run the same command again
to go on. A second Ctrl-C stops at once, as a kill does: an open cut short by
a crash or a kill leaves OUTDIR/.refuge-staging-*: unverified plaintext,
which open warns about and never shows as a submission.

Flags:
    -i FILE                 officer identity file (from keygen)
    --passphrase-file F     read its passphrase from the first line of F
    -o OUTDIR               where submissions go (created, mode 0700, if
                            missing)
    --manifest FILE         the key manifest (FILE.minisig beside it), to check
                            partner signatures and the ack key against
    --root-pub KEY          the root public key ("RW…") that signed the
                            manifest
    --ack-key FILE          acknowledgement key (from ackkey); needs --outbox
    --ack-passphrase-file F its passphrase (default: --passphrase-file)
    --outbox DIR            where acknowledgements go (for refuge courier push)

Examples:
    $ refuge-officer open -i officer.key -o inbox /media/usb/inbox/*.age
    $ refuge-officer open -i officer.key -o inbox --manifest manifest.json \
          --root-pub "$(cat root.pub)" --ack-key ack.key \
          --outbox /media/usb/outbox /media/usb/inbox/*.age

Stock age and tar open a bundle too (without the checks above):
    $ age -d -i officer.key bundle.age | tar x`

func cmdOpen(e *env, args []string) error {
	fs := e.newFlags("open", openHelp)
	keyFile := fs.String("i", "", "")
	passFile := fs.String("passphrase-file", "", "")
	outDir := fs.String("o", "", "")
	manifestFile := fs.String("manifest", "", "")
	rootPub := fs.String("root-pub", "", "")
	ackKeyFile := fs.String("ack-key", "", "")
	ackPassFile := fs.String("ack-passphrase-file", "", "")
	outbox := fs.String("outbox", "", "")
	bundles, err := cli.ParsePaths(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *keyFile == "":
		return usagef("open", "missing -i FILE")
	case *outDir == "":
		return usagef("open", "missing -o OUTDIR")
	case len(bundles) == 0:
		return usagef("open", "no bundles to open")
	case (*ackKeyFile == "") != (*outbox == ""):
		return usagef("open", "--ack-key and --outbox go together")
	case *manifestFile == "" && *rootPub != "":
		return usagef("open", "--root-pub needs --manifest FILE")
	}
	if err := checkOutDir(*outDir, *outbox); err != nil {
		return err
	}
	if err := checkBundleNames(bundles); err != nil {
		return err
	}
	ackOutbox := *outbox
	if *ackKeyFile == "" {
		ackOutbox = ""
	}
	if err := checkFolders(*outDir, ackOutbox); err != nil {
		return err
	}
	var km *manifest.Manifest
	if *manifestFile != "" {
		if km, err = loadKeyManifest("open", *manifestFile, *rootPub); err != nil {
			return err
		}
	}
	if err := e.secure(); err != nil {
		return err
	}
	// From here, Ctrl-C or SIGTERM stops the run before the next key or
	// bundle; the read of a bundle is stopped at once, and Open removes
	// what it staged (interrupt.go).
	ctx, stop := secrets.Interruptible()
	defer stop()
	id, err := e.loadIdentity(*keyFile, *passFile)
	if err != nil {
		return err
	}
	var ackKey *signing.PrivateKey
	if *ackKeyFile != "" {
		if err := stopped(ctx, "nothing was opened"); err != nil {
			return err
		}
		if *ackPassFile == "" {
			*ackPassFile = *passFile
		}
		if ackKey, err = e.loadAckKey(*ackKeyFile, *ackPassFile, km, "the server would refuse its acknowledgements"); err != nil {
			return err
		}
		defer ackKey.Destroy()
	}
	if err := stopped(ctx, "nothing was opened"); err != nil {
		return err
	}
	// OUTDIR, or the folders of it that this run makes, go again if the
	// run ends with nothing in them: every bundle failed, or it stopped.
	made, err := cli.MakeDirs(*outDir)
	if err != nil {
		return failf("cannot create output directory: %v", err)
	}
	defer made.RemoveEmpty()
	warnLeftovers(e, *outDir)
	opened := loadOpened(*outDir)
	var n openCounts
	skip := func(name string, rec openedRecord) {
		n.opened++
		wasFlagged, err := e.skipOpened(name, rec, ackKey, *outbox, km != nil)
		if wasFlagged {
			n.flagged++
		}
		if err != nil {
			n.failed++
			e.out.Fail(err)
		}
	}
	for i, name := range bundles {
		if ctx.Err() != nil {
			return openStopped(ctx, n, bundles[i:], len(bundles))
		}
		if rec, ok := opened.find(ctx, name); ok {
			skip(name, rec)
			continue
		}
		if ctx.Err() != nil { // perhaps while find hashed it
			return openStopped(ctx, n, bundles[i:], len(bundles))
		}
		res, err := e.openOne(ctx, name, id, *outDir)
		var ao *bundle.AlreadyOpenedError
		if errors.As(err, &ao) {
			var rec openedRecord
			if rec, err = alreadyOpened(name, *outDir, ao); err == nil {
				skip(name, rec)
				continue
			}
		}
		if err != nil && ctx.Err() != nil {
			// Stopped while reading it (or failed as the signal came):
			// Open kept nothing of it.
			return openStopped(ctx, n, bundles[i:], len(bundles))
		}
		if err != nil {
			n.failed++
			var ce *cli.Error
			if !errors.As(err, &ce) {
				ce = failf("%s: %v", name, err)
			}
			if full, denied := cannotWrite(err); full || denied {
				// The bundles after it would fail the same way: stop,
				// and say once what to do.
				e.out.Fail(&cli.Error{Code: ce.Code, Msg: ce.Msg})
				return openFull(n, bundles[i:], len(bundles), *outDir, false, ce.Hints)
			}
			e.out.Fail(ce)
			continue
		}
		// Opened: a signal from now on stops the run only once the
		// report and the acknowledgement are written, as for a bundle
		// opened before it.
		n.opened++
		r := newReport(name, res, km)
		if len(r.flags) > 0 {
			n.flagged++
		}
		ackErr := e.acknowledge(r, ackKey, *outbox)
		printSummary(e.stdout, name, r)
		_, repErr := writeReport(r)
		if ackErr != nil {
			ce := failf("%s: opened, but %v", name, ackErr)
			if repErr == nil {
				ce.Hint("once %s can be written, run the same command again: it skips the bundles opened and writes their acknowledgements", *outbox)
			}
			e.out.Fail(ce)
		}
		if repErr != nil {
			// A later open refuses the folder (alreadyOpened): say now
			// what it holds and how to go on.
			e.out.Fail(failf("%s: opened into %s, but %v", name, res.Dir, repErr).
				Hint("its files are there, complete and verified, but without %s a later open refuses the folder: once there is room, move %s away and run the same command again; it opens the bundle again and writes the report", reportName, res.Dir))
		}
		if repErr == nil {
			opened.add(recordOf(r))
		}
		if ackErr != nil || repErr != nil {
			n.failed++
		}
		if full, denied := cannotWrite(repErr); full || denied {
			return openFull(n, bundles[i:], len(bundles), *outDir, true,
				[]string{fmt.Sprintf("make room on the disk of %s, or give another -o folder", *outDir)})
		}
	}
	return openSummary(n.failed, n.flagged, len(bundles))
}

// openCounts counts the bundles of a run of open so far.
type openCounts struct {
	opened  int // opened, now or before (skipped)
	failed  int // could not be opened or acknowledged
	flagged int
}

// openSummary is the error that ends a run in which bundles failed or were
// flagged, or nil.
func openSummary(failed, flagged, total int) error {
	parts := summaryParts(failed, flagged, total)
	if len(parts) == 0 {
		return nil
	}
	return &cli.Error{Code: exitPartial, Msg: strings.Join(parts, "; ")}
}

func summaryParts(failed, flagged, total int) []string {
	var parts []string
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d of %s could not be opened or acknowledged", failed, cli.Plural(total, "bundle")))
	}
	if flagged > 0 {
		parts = append(parts, fmt.Sprintf("%d of %s flagged (see their report.txt)", flagged, cli.Plural(total, "bundle")))
	}
	return parts
}

// openStopped is the error of a run of open that a signal stopped before
// the bundle left[0]: what was done (the lines above said how each went),
// and that nothing of left[0], which may have been half read, was kept.
// Running the same command again skips what was opened and goes on.
func openStopped(ctx context.Context, n openCounts, left []string, total int) error {
	parts := []string{fmt.Sprintf("opened %d of %s", n.opened, cli.Plural(total, "bundle"))}
	parts = append(parts, summaryParts(n.failed, n.flagged, total)...)
	parts = append(parts, fmt.Sprintf("%s was not opened, nothing of it was kept", left[0]))
	if more := len(left) - 1; more > 0 {
		parts = append(parts, fmt.Sprintf("%s not started", cli.Plural(more, "more bundle")))
	}
	err := cli.Interrupted(secrets.InterruptSignal(ctx))
	err.Msg += ": " + strings.Join(parts, "; ")
	return err.Hint("run the same command again to go on: the bundles opened are skipped, not decrypted again")
}

// openFull is the error of a run of open stopped at the bundle left[0]
// because OUTDIR could take no more of it (or, when opened, of its
// report): full, read-only or not this account's, as the bundles after it
// would find it. hints are what to do about OUTDIR; running the same
// command again goes on.
func openFull(n openCounts, left []string, total int, outDir string, opened bool, hints []string) error {
	parts := []string{fmt.Sprintf("opened %d of %s", n.opened, cli.Plural(total, "bundle"))}
	parts = append(parts, summaryParts(n.failed, n.flagged, total)...)
	if more := len(left) - 1; more > 0 {
		parts = append(parts, fmt.Sprintf("%s not started", cli.Plural(more, "more bundle")))
	}
	at := "at"
	if opened {
		at = "after"
	}
	err := &cli.Error{Code: exitPartial, Msg: fmt.Sprintf("stopped %s %s, as %s can take no more: %s", at, left[0], outDir, strings.Join(parts, "; "))}
	err.Hints = append(err.Hints, hints...)
	return err.Hint("run the same command again to go on: the bundles opened are skipped, not decrypted again")
}

// checkBundleNames refuses names that do not exist or are folders, before
// any key is unlocked: a slip on the command line (or a pattern that
// matched nothing), not a bundle that failed.
func checkBundleNames(names []string) error {
	for _, name := range names {
		fi, err := os.Stat(name)
		switch {
		case err != nil:
			e := failf("%s: %v", name, errors.Unwrap(err))
			if strings.ContainsAny(name, "*?[") {
				e.Hint("no file matches %s", name)
			}
			return e.Hint("nothing was opened; give the bundle files that exist")
		case fi.IsDir():
			return failf("%s is a folder; give the bundle files (%s)", name, filepath.Join(name, "*.age")).
				Hint("nothing was opened")
		}
	}
	return nil
}

// outboxNames are what an outbox holds (and "refuge courier push" looks
// for), and an OUTDIR of open never does.
var outboxNames = []string{"acks", "replies", "sent"}

// checkOutDir refuses, before any key is unlocked, an OUTDIR that is the
// outbox or inside it, or that holds what an outbox holds (the -o of
// reply is the outbox, the -o of open is not): open writes the plaintext
// there, and the courier carries the outbox to the online machine.
func checkOutDir(outDir, outbox string) error {
	const carried = "open writes the plaintext of the submissions into -o, and the courier carries the outbox to the online machine: give open -o a folder on this machine, such as -o inbox (the -o of reply is the outbox; that of open is not)"
	if outbox != "" && within(outDir, outbox) {
		return cli.Errorf(exitUsage, "-o %s is the outbox or inside it (--outbox %s); nothing was opened", outDir, outbox).Hint("%s", carried)
	}
	for _, name := range outboxNames {
		if _, err := os.Lstat(filepath.Join(outDir, name)); err == nil {
			return cli.Errorf(exitUsage, "-o %s holds %s, as an outbox does; nothing was opened", outDir, name).Hint("%s", carried)
		}
	}
	return nil
}

// within reports whether dir is outer or inside it: the same folder as
// outer or one of its subfolders when outer exists (whatever the path
// says: a link, another letter case), or, when it does not, a path
// below outer's.
func within(dir, outer string) bool {
	d, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	o, err := os.Stat(outer)
	if err != nil {
		oa, err := filepath.Abs(outer)
		rel, rerr := filepath.Rel(oa, d)
		return err == nil && rerr == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	for {
		if fi, err := os.Stat(d); err == nil && os.SameFile(fi, o) {
			return true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return false
		}
		d = parent
	}
}

// loadAckKey loads the acknowledgement key and, when a key manifest is
// given, checks that it is the manifest's ack_key (the server accepts no
// other acknowledgement, the submitter's refuge no other reply signature);
// refused says what another key would cause.
func (e *env) loadAckKey(name, passFile string, km *manifest.Manifest, refused string) (*signing.PrivateKey, error) {
	key, err := e.loadSigningKey(name, passFile)
	if err != nil {
		return nil, err
	}
	if km != nil {
		want, ok := km.AckPublicKey()
		if !ok || !want.Equal(key.Public()) {
			key.Destroy()
			ferr := failf("%s is not the acknowledgement key of the key manifest (version %d); %s", name, km.Version, refused)
			if ok {
				ferr.Hint("the manifest's acknowledgement key is the one whose public key is %s: give that one to --ack-key", want)
			} else {
				ferr.Hint("the key manifest names no acknowledgement key")
			}
			return nil, ferr.Hint(`to use this key, list its public key in a new key manifest of a higher version, in a file that does not exist yet: manifest sign … --ack-key "$(cat ack.pub)" --version %d (ack.pub: what ackkey printed)`, km.Version+1)
		}
	}
	return key, nil
}

// acknowledge writes the acknowledgement of an opened bundle into the
// outbox, unless the bundle is flagged or no ack key was given, and
// records what happened in the report.
func (e *env) acknowledge(r *report, key *signing.PrivateKey, outbox string) error {
	switch {
	case key == nil:
		r.ackLine = "not written (no --ack-key given)"
		return nil
	case len(r.flags) > 0:
		r.ackLine = "NOT written because the bundle is flagged: the ciphertext stays on the server as evidence"
		return nil
	}
	id := r.pulledAs
	if id == "" {
		id = r.res.SubmissionID
	}
	line, err := writeAck(outbox, key, ack.Statement{SubmissionID: id, SHA256: r.res.CiphertextSHA256})
	if err != nil {
		r.ackLine = "NOT written: " + err.Error()
		return fmt.Errorf("the acknowledgement was not written: %v", err)
	}
	r.ackLine = line
	return nil
}

// warnLeftovers tells the officer about staging folders that an open
// interrupted by a crash or a kill left in outDir. Their content is
// unverified plaintext: it is never presented as a submission, and the
// officer deletes it (not this tool: another open may be running there).
func warnLeftovers(e *env, outDir string) {
	left, err := bundle.StagingLeftovers(outDir)
	if err != nil || len(left) == 0 {
		return
	}
	e.out.Warnf("%s holds %s from an interrupted open (%s…): their content is UNVERIFIED", outDir, cli.Plural(len(left), "unfinished extraction"), filepath.Base(left[0]))
	e.out.Hintf("delete them once no other open is running there; opening their bundles again is safe")
}

// openOne opens the bundle name into outDir. When ctx ends (Ctrl-C), the
// bundle file is closed: the read fails at once, even one that waits on a
// pipe, and Open removes what it staged.
func (e *env) openOne(ctx context.Context, name string, id *age.HybridIdentity, outDir string) (*bundle.Result, error) {
	f, err := os.Open(name) // #nosec G304 G703 -- a bundle named by the officer on the command line
	if err != nil {
		return nil, errors.Unwrap(err) // the path is already in the message
	}
	defer f.Close()
	defer context.AfterFunc(ctx, func() { f.Close() })()
	if err := checkBundleHead(f, name); err != nil {
		return nil, err
	}
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	p := progress.Start(e.stderr, prog, "opening "+termtext.Line(name)+":", size, progress.TerminalOnly)
	defer p.Finish()
	// Officers open submissions. A reply sealed to this key too (reply -i)
	// is the desk's own copy, read with stock age; one that comes in
	// through an inbox was sealed by someone else, and a "reply" from
	// the officers is the last thing it should pass for.
	res, err := bundle.Open(f, []age.Identity{id}, outDir, bundle.Options{
		Progress: &p.N,
		Kinds:    []string{bundle.KindAnonymous, bundle.KindReferral},
	})
	if errors.Is(err, bundle.ErrUnexpectedKind) {
		// The manifest's kind is one of three, and the other two are taken.
		return nil, failf("%s is a reply, not a submission: open takes only submissions; nothing was kept", name).
			Hint("officers send replies, they do not receive them: if it came in as a submission, someone else sealed it as a reply").
			Hint("a reply the desk sealed to its own key too (reply -i) is read with stock age: age -d -i KEYFILE %s | tar t", name)
	}
	if errors.Is(err, bundle.ErrDamaged) {
		return nil, failf("%s: %v", name, err).
			Hint("a copy cut short or damaged on the way fails like this: copy the bundle again from where it came, and open the copy")
	}
	switch full, denied := cannotWrite(err); {
	case full:
		e := failf("%s: no room for it in %s (%v); nothing of it was kept", name, outDir, err).
			Hint("make room on the disk of %s (the bundle is %s), or give another -o folder", outDir, progress.Size(size))
		e.Cause = err
		return nil, e
	case denied:
		e := failf("%s: cannot write into %s (%v); nothing of it was kept", name, outDir, err).
			Hint("give an -o folder on a disk this account may write to")
		e.Cause = err
		return nil, e
	}
	return res, err
}

// cannotWrite tells a bundle that failed because OUTDIR could not take
// it, its disk being full (or a quota or file size limit reached) or not
// writable by this account, from one that failed for what it holds. Only
// the writes into OUTDIR fail so: the bundle file is open already.
func cannotWrite(err error) (full, denied bool) {
	full = errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG)
	denied = errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
	return full, denied
}

// bundleHint says what open takes, for a file that is not a bundle.
const bundleHint = `bundles are the <submission id>.age files that "refuge courier pull" writes, or the .age file of "refuge seal"`

// checkBundleHead tells a file that is not age at all (a text file, a
// photo renamed .age) from a damaged bundle. A file cut short inside the
// age intro is left to bundle.Open, which calls it truncated.
func checkBundleHead(f *os.File, name string) error {
	head, err := readHead(f, len(ageIntro))
	switch {
	case err != nil:
		return fmt.Errorf("cannot read the bundle: %v", errors.Unwrap(err))
	case len(head) == 0:
		return failf("%s is empty: not a Refuge bundle", name).
			Hint("a copy that did not finish leaves an empty file: copy the bundle again from where it came")
	case !bytes.HasPrefix([]byte(ageIntro), head):
		return failf("%s is not a Refuge bundle (not an age file)", name).
			Hint(bundleHint)
	}
	return nil
}

// printSummary prints what an officer needs to see first. Names and the note
// come from the bundle, and the bundle's own file name from whoever named
// it (a courier's stick, an inbox): control characters are replaced
// (termtext.Line) so that neither can drive the terminal.
func printSummary(w io.Writer, name string, rep *report) {
	r := rep.res
	fmt.Fprintf(w, "%s: opened into %s\n", termtext.Line(name), termtext.Line(r.Dir))
	for _, f := range rep.flags {
		fmt.Fprintf(w, "  FLAGGED     %s\n", f)
	}
	if rep.notice != nil {
		fmt.Fprintf(w, "  NOTICE      %s\n", strings.TrimPrefix(noticeHead, "NOTICE: "))
		for _, l := range rep.notice.lines() {
			fmt.Fprintf(w, "              - %s\n", l)
		}
	}
	fmt.Fprintf(w, "  submission  %s\n", r.SubmissionID)
	fmt.Fprintf(w, "  pulled as   %s\n", rep.idLine)
	fmt.Fprintf(w, "  kind        %s\n", termtext.Line(r.Kind))
	fmt.Fprintf(w, "  created     %s\n", termtext.Line(r.Created))
	fmt.Fprintf(w, "  sender      %s\n", rep.sender)
	if rep.uploaderLine != "" {
		fmt.Fprintf(w, "  uploaded    %s\n", rep.uploaderLine)
	}
	fmt.Fprintf(w, "  ack         %s\n", rep.ackLine)
	fmt.Fprintf(w, "  report      %s\n", termtext.Line(filepath.Join(r.Dir, reportName)))
	var files []bundle.Entry
	var total int64
	for _, en := range r.Entries {
		if strings.HasPrefix(en.Name, "files/") {
			files = append(files, en)
			total += en.Size
		}
	}
	fmt.Fprintf(w, "  files       %d, %s in total\n", len(files), progress.Size(total))
	for _, en := range files {
		fmt.Fprintf(w, "    %10s  %s\n", progress.Size(en.Size), termtext.Line(strings.TrimPrefix(en.Name, "files/")))
	}
	if r.Note != "" {
		lines := strings.SplitN(strings.TrimSpace(r.Note), "\n", 4)
		more := len(lines) > 3 || r.NoteTruncated
		if len(lines) > 3 {
			lines = lines[:3]
		}
		fmt.Fprintf(w, "  note\n")
		for _, l := range lines {
			fmt.Fprintf(w, "    | %s\n", termtext.Line(l))
		}
		if more {
			fmt.Fprintf(w, "    | … (the whole note is in %s)\n", termtext.Line(filepath.Join(r.Dir, "note.txt")))
		}
	}
}
