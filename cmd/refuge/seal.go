package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"refuge/client"
	"refuge/crypto/bundle"
	"refuge/crypto/receipt"
	"refuge/crypto/secrets"
	"refuge/internal/cli"
	"refuge/internal/noreplace"
	"refuge/internal/progress"
)

const sealHelp = `Usage: refuge seal --manifest FILE --root-pub KEY -o OUT
                   [--note-file F] [--receipt-out F] FILES...

Seals FILES (and folders, recursively) and an optional note into one bundle
that only the officers listed in the key manifest can open. Works offline: hand
the bundle to a partner organisation to relay, or upload it later.

Before encrypting, seal verifies the key manifest FILE and its signature
FILE.minisig against the pinned root public key KEY (an "RW…" minisign key):
a bad signature, an expired manifest, a version older than one already seen
on this device, or a recipient that is not post-quantum is refused (exit 3).

seal then makes a new receipt phrase of 12 words. The phrase is the only way
to read the officers' replies later, from any device: learn it or hide it
well, and never keep it with the bundle.
  - at a terminal, the phrase and advice are printed on standard error;
  - when standard output is not a terminal (a script), the phrase alone is
    printed on standard output, advice on standard error;
  - with -o - (the bundle on standard output), the phrase goes to standard
    error only: use --receipt-out.

Beside OUT, seal writes OUT.ticket: the submission id and the verifier of
the phrase's access token (neither is secret). A partner relays the bundle
with its ticket ("refuge relay"), so the defender can later check status
and read replies with the phrase.

The bundle is written to a temporary file and renamed into place only when
complete: after a failure nothing is left. An existing OUT is never replaced,
and a bundle is never written to a terminal.

Flags:
    --manifest FILE       key manifest (FILE.minisig must be beside it)
    --root-pub KEY        pinned root public key, "RW…"
    -o OUT                bundle to create, or - for standard output
    --note-file F         a text note for the officers (UTF-8, up to 1 MiB);
                          - reads it from standard input
    --receipt-out F       also write the phrase to F (created, mode 0600)

Examples:
    $ refuge seal --manifest manifest.json --root-pub RWS… \
          -o bundle.age photo.jpg notes/
    $ refuge seal --manifest manifest.json --root-pub RWS… \
          --note-file note.txt --receipt-out /media/usb/receipt.txt \
          -o bundle.age report.pdf

Exit codes: 0 sealed, 1 failed (nothing written), 2 bad command line, 3 the
key manifest was refused (nothing encrypted), 130 interrupted by Ctrl-C or
SIGTERM while sealing (nothing written).`

func cmdSeal(e *env, args []string) error {
	fs := e.newFlags("seal", sealHelp)
	manifestFile := fs.String("manifest", "", "")
	rootPub := fs.String("root-pub", "", "")
	outName := fs.String("o", "", "")
	noteFile := fs.String("note-file", "", "")
	receiptOut := fs.String("receipt-out", "", "")
	paths, err := cli.ParsePaths(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *manifestFile == "":
		return usagef("seal", "missing --manifest FILE")
	case *rootPub == "":
		return usagef("seal", "missing --root-pub KEY")
	case *outName == "":
		return usagef("seal", "missing -o OUT")
	case len(paths) == 0 && *noteFile == "":
		return usagef("seal", "nothing to seal: give files or --note-file")
	}
	toStdout := *outName == "-"
	if toStdout && isTerminal(e.stdout) {
		return failf("refusing to write a binary bundle to a terminal").
			Hint("use -o bundle.age, or redirect standard output to a file")
	}
	if !toStdout {
		for _, f := range []string{*outName, client.TicketPath(*outName)} {
			if _, err := os.Lstat(f); err == nil {
				return failf("%s already exists; refusing to overwrite it", f).Hint("choose another -o file")
			}
		}
	}
	if err := checkReceiptOut(*receiptOut); err != nil {
		return err
	}

	// The files first: a name mistyped stops the run before the manifest
	// is verified, whose version would be the first thing kept on this
	// device.
	files, err := bundle.CollectFiles(paths)
	if err != nil {
		return failf("%v", err)
	}
	note, err := e.readNote(*noteFile)
	if err != nil {
		return err
	}
	if err := e.checkContents(paths, files, note); err != nil {
		return err
	}
	recipients, version, err := verifyManifest(*manifestFile, *rootPub)
	if err != nil {
		return err
	}
	purge, err := secrets.Init()
	if errors.Is(err, secrets.ErrMemlock) {
		return failf("%v", err).Hint("the receipt phrase is kept in locked memory so it never reaches swap; allow at least 64 KiB")
	}
	if err != nil {
		return failf("%v", err)
	}
	defer purge()
	// Ctrl-C or SIGTERM stops the sealing (writeBundle); once the bundle
	// is in place, the command finishes: the phrase is shown.
	ctx, stop := e.interruptible("")
	defer stop()

	phrase, keys, verifier, err := newReceipt()
	if err != nil {
		return err
	}
	contents := bundle.Contents{
		Files:          files,
		Note:           note,
		SubmissionID:   keys.SubmissionID(),
		ReplyRecipient: keys.Recipient().String(),
		Kind:           bundle.KindAnonymous,
	}
	text, err := phrase.Text()
	if err != nil {
		return failf("cannot read the receipt phrase: %v", err)
	}
	defer text.Destroy()
	savedReceipt := false
	saveReceipt := func() error {
		if *receiptOut == "" {
			return nil
		}
		err := writeReceipt(*receiptOut, text.Bytes())
		savedReceipt = err == nil
		return err
	}
	// The ticket (submission id and token verifier, neither secret) lets a
	// partner relay the bundle: written beside it, before it is committed.
	savedTicket, printed := false, false
	beforeCommit := func() error {
		if err := saveReceipt(); err != nil {
			return err
		}
		// The phrase goes to standard output before the bundle is in
		// place: a bundle whose phrase no one has is never left.
		if e.phraseOnStdout(toStdout) {
			err := e.printPhrase(text.Bytes())
			if err != nil && !savedReceipt {
				return phraseNotPrinted(err, "nothing was sealed")
			} else if err != nil {
				e.out.Warnf("%s; it is in %s", err.Msg, *receiptOut)
			}
			printed = err == nil
		}
		if toStdout {
			return nil
		}
		if err := client.WriteTicket(*outName, keys.SubmissionID(), verifier); errors.Is(err, noreplace.ErrExists) {
			return failf("cannot write the relay ticket %s: a file of that name already exists", client.TicketPath(*outName))
		} else if err != nil {
			return failf("cannot write the relay ticket %s: %v", client.TicketPath(*outName), err)
		}
		savedTicket = true
		return nil
	}
	if err := e.writeBundle(ctx, *outName, recipients, contents, beforeCommit); err != nil {
		if savedReceipt {
			os.Remove(*receiptOut) // #nosec G104 -- best effort: the phrase of a bundle that does not exist
		}
		if savedTicket {
			os.Remove(client.TicketPath(*outName)) // #nosec G104 -- best effort: the ticket of a bundle that does not exist
		}
		return err
	}
	if !toStdout {
		e.out.Infof("wrote the relay ticket %s: a partner relays the bundle with it (refuge relay)", client.TicketPath(*outName))
	}
	e.out.Infof("sealed %s for %s of key manifest version %d", cli.Plural(len(files), "file"), cli.Plural(len(recipients), "officer key"), version)
	if *receiptOut != "" {
		e.out.Infof("wrote the receipt phrase to %s (mode 0600)", *receiptOut)
	}
	e.showPhrase(text.Bytes(), toStdout, printed)
	return nil
}

// writeBundle seals into a temporary file (see bundle.CreateOutput), calls
// beforeCommit, and renames the bundle into place only if both succeeded.
// With -o - it seals straight to standard output. When ctx ends (Ctrl-C,
// SIGTERM) while it seals, the sealing stops and the partial bundle is
// removed.
func (e *env) writeBundle(ctx context.Context, name string, recipients []age.Recipient, c bundle.Contents, beforeCommit func() error) error {
	out, err := bundle.CreateOutput(name, e.stdoutFile)
	if err != nil {
		return failf("%v", err)
	}
	var total int64
	for _, f := range c.Files {
		total += f.Size
	}
	p := progress.Start(e.stderr, prog, "sealing", total, progress.TerminalOnly)
	c.Progress = &p.N
	_, err = bundle.Seal(noreplace.StopWriter(ctx, out), recipients, c)
	p.Finish()
	if err != nil {
		out.Abort()
		ce := failf("cannot seal: %v", err)
		if sig := e.signal(); sig != nil {
			ce = cli.Interrupted(sig)
			ce.Msg += ": nothing was sealed; no bundle, relay ticket or receipt phrase was kept"
		}
		if name == "-" {
			ce.Hint("the bundle on standard output is incomplete: discard it")
		}
		if ce.Code == exitInterrupted {
			ce.Hint("run the same command again to seal the files (under a new receipt phrase)")
		}
		return ce
	}
	if err := beforeCommit(); err != nil {
		out.Abort()
		return err
	}
	if err := out.Commit(); err != nil {
		return failf("%v", err)
	}
	return nil
}

// checkReceiptOut refuses a --receipt-out file that exists, or whose
// folder does not, before anything is sealed: a receipt phrase is never
// overwritten, and one that cannot be written is not made.
func checkReceiptOut(name string) error {
	if name == "" {
		return nil
	}
	if _, err := os.Lstat(name); err == nil {
		return failf("%s already exists; refusing to overwrite it", name).Hint("choose another file for --receipt-out")
	}
	dir := filepath.Dir(name)
	fi, err := os.Stat(dir)
	var why string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		why = fmt.Sprintf("the folder %s does not exist", dir)
	case err != nil:
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err // the folder is named once, not again as "stat D: "
		}
		why = fmt.Sprintf("the folder %s cannot be used: %v", dir, err)
	case !fi.IsDir():
		why = fmt.Sprintf("%s is not a folder", dir)
	default:
		return nil
	}
	return failf("cannot write the receipt phrase to %s: %s; nothing was sealed or sent", name, why).
		Hint("create the folder first, or choose another file for --receipt-out")
}

// writeReceipt writes the phrase to a new file with mode 0600.
func writeReceipt(name string, phrase []byte) error {
	err := noreplace.WriteFile(name, func(w io.Writer) error {
		if _, err := w.Write(phrase); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n")
		return err
	})
	if err != nil {
		return failf("cannot write the receipt phrase to %s: %v", name, err)
	}
	return nil
}

// checkContents refuses a bundle with neither a file nor a note (the
// folders given held no file), which would reach the officers empty, and
// points out empty files, which may be a mistake.
func (e *env) checkContents(paths []string, files []bundle.File, note []byte) error {
	if len(files) == 0 && len(note) == 0 {
		hold := "hold"
		if len(paths) == 1 {
			hold = "holds"
		}
		return failf("nothing to send: %s %s no file, and there is no note", strings.Join(paths, ", "), hold).
			Hint("give the files themselves or a folder that holds some, or write a note with --note-file")
	}
	for _, f := range files {
		if f.Size == 0 {
			e.out.Infof("note: %s is empty (0 bytes); it is sealed as it is", f.Name)
		}
	}
	return nil
}

// readNote reads the note from a file, or from standard input for "-".
func (e *env) readNote(name string) ([]byte, error) {
	var r io.Reader
	switch name {
	case "":
		return nil, nil
	case "-":
		r = e.stdin
	default:
		f, err := os.Open(name) // #nosec G304 -- --note-file, chosen by the user
		if err != nil {
			return nil, failf("cannot open note: %v", err)
		}
		defer f.Close()
		r = f
	}
	note, err := io.ReadAll(io.LimitReader(r, bundle.MaxNoteSize+1))
	if err != nil {
		return nil, failf("cannot read note: %v", err)
	}
	if len(note) > bundle.MaxNoteSize {
		return nil, failf("note is larger than %s", progress.Size(bundle.MaxNoteSize)).
			Hint("put long texts in a file to seal instead")
	}
	return note, nil
}

// phraseOnStdout reports whether the phrase goes alone to standard output
// (a script reads it there), as the seal help describes.
func (e *env) phraseOnStdout(bundleOnStdout bool) bool {
	return !bundleOnStdout && !isTerminal(e.stdout)
}

// printPhrase writes the phrase alone on standard output. An error (a
// full disk under the file it was sent to, a device that fails) means
// that no one may have it: the caller keeps and sends nothing under it,
// unless the --receipt-out file holds it.
func (e *env) printPhrase(phrase []byte) *cli.Error {
	if _, err := fmt.Fprintf(e.stdout, "%s\n", phrase); err != nil {
		return failf("cannot write the receipt phrase to standard output: %v", err)
	}
	return nil
}

// showPhrase shows the phrase as the seal help describes, with the
// advice; printed says that printPhrase already wrote it to standard
// output.
func (e *env) showPhrase(phrase []byte, bundleOnStdout, printed bool) {
	if printed {
		e.out.Infof("the receipt phrase is on standard output")
	} else if !e.phraseOnStdout(bundleOnStdout) {
		fmt.Fprintf(e.stderr, "\n    %s\n\n", phrase)
	}
	for _, line := range strings.Split(phraseAdvice, "\n") {
		e.out.Infof("%s", line)
	}
}

// phraseNotPrinted is the error of a run whose phrase could not be written
// to standard output, and that kept and sent nothing under it.
func phraseNotPrinted(err *cli.Error, what string) *cli.Error {
	err.Msg += "; " + what + ", and the phrase is void"
	return err.Hint("make room where standard output goes (a full disk?), or give --receipt-out F, and run the command again: you will get a new phrase")
}

const phraseAdvice = `This receipt phrase is the only way to read the officers' replies, from any device.
Learn it by heart or hide it well; anyone who has it can read the replies.
Never keep it with the bundle or on a device that may be searched.`

// newReceipt makes a new receipt phrase, derives its keys and the
// verifier of its access token (what the server and tickets hold; the
// token itself is wiped): refuge seal, submit and refer.
func newReceipt() (*receipt.Phrase, *receipt.Keys, [32]byte, error) {
	phrase, err := receipt.Generate()
	if err != nil {
		return nil, nil, [32]byte{}, failf("cannot make a receipt phrase: %v", err)
	}
	keys, err := receipt.Derive(phrase)
	if err != nil {
		return nil, nil, [32]byte{}, failf("cannot derive keys from the receipt phrase: %v", err)
	}
	tok, err := keys.Token()
	if err != nil {
		return nil, nil, [32]byte{}, failf("cannot read the access token: %v", err)
	}
	defer tok.Destroy()
	return phrase, keys, receipt.Verifier(tok.Bytes()), nil
}
