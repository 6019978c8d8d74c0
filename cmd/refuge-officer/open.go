package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"refuge/internal/progress"
	"strings"
	"unicode"

	"filippo.io/age"

	"refuge/crypto/bundle"
)

const openHelp = `Usage: refuge-officer open -i FILE [--passphrase-file F] -o OUTDIR BUNDLE...

Decrypts each BUNDLE with the officer identity FILE (made by keygen; its
passphrase is asked once), verifies every entry against the bundle's
manifest.json, and moves the contents into OUTDIR/<submission id>/ only after
the whole bundle authenticated. Nothing is ever written outside OUTDIR; links,
devices, absolute or ".." paths, duplicates and size lies are refused.

For each bundle a short summary goes to standard output. A bundle that fails
leaves nothing behind; the others are still opened, and the exit code is 3.

Flags:
    -i FILE                 officer identity file (from keygen)
    --passphrase-file F     read its passphrase from the first line of F
    -o OUTDIR               where submissions go (created, mode 0700, if missing)

Examples:
    $ refuge-officer open -i officer.key -o inbox /media/usb/*.age
    $ refuge-officer open -i officer.key --passphrase-file pass -o inbox bundle.age

Stock age and tar open a bundle too (without the checks above):
    $ age -d -i officer.key bundle.age | tar x`

func cmdOpen(e *env, args []string) error {
	fs := e.newFlags("open", openHelp)
	keyFile := fs.String("i", "", "")
	passFile := fs.String("passphrase-file", "", "")
	outDir := fs.String("o", "", "")
	bundles, err := e.parse(fs, args)
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
	}
	if err := e.secure(); err != nil {
		return err
	}
	id, err := e.loadIdentity(*keyFile, *passFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o700); err != nil {
		return failf("cannot create output directory: %v", err)
	}
	failed := 0
	for _, name := range bundles {
		res, err := e.openOne(name, id, *outDir)
		if err != nil {
			failed++
			e.out.fail(failf("%s: %v", name, err))
			continue
		}
		printSummary(e.stdout, name, res)
	}
	if failed > 0 {
		return &cliError{code: exitPartial, msg: fmt.Sprintf("%d of %d bundle(s) could not be opened; nothing was written for them", failed, len(bundles))}
	}
	return nil
}

func (e *env) openOne(name string, id *age.HybridIdentity, outDir string) (*bundle.Result, error) {
	f, err := os.Open(name) // #nosec G304 G703 -- a bundle named by the officer on the command line
	if err != nil {
		return nil, errors.Unwrap(err) // the path is already in the message
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	p := progress.Start(e.stderr, prog, "opening "+name+":", size, progress.TerminalOnly)
	defer p.Finish()
	return bundle.Open(f, []age.Identity{id}, outDir, bundle.Options{Progress: &p.N})
}

// printSummary prints what an officer needs to see first. Names and the note
// come from the bundle: control characters are replaced so that a hostile
// bundle cannot drive the terminal.
func printSummary(w io.Writer, name string, r *bundle.Result) {
	fmt.Fprintf(w, "%s: opened into %s\n", name, r.Dir)
	fmt.Fprintf(w, "  submission  %s\n", r.SubmissionID)
	fmt.Fprintf(w, "  kind        %s\n", printable(r.Kind))
	fmt.Fprintf(w, "  created     %s\n", printable(r.Created))
	if r.Partner != "" {
		fmt.Fprintf(w, "  partner     %s\n", printable(r.Partner))
	}
	switch {
	case r.HasSignature():
		fmt.Fprintf(w, "  sender      partner signature present, NOT verified by this command\n")
	case r.Kind == bundle.KindAnonymous:
		fmt.Fprintf(w, "  sender      unauthenticated (anonymous submission)\n")
	default:
		fmt.Fprintf(w, "  sender      unauthenticated: no partner signature\n")
	}
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
		fmt.Fprintf(w, "    %10s  %s\n", progress.Size(en.Size), printable(strings.TrimPrefix(en.Name, "files/")))
	}
	if r.Note != "" {
		lines := strings.SplitN(strings.TrimSpace(r.Note), "\n", 4)
		more := len(lines) > 3 || r.NoteTruncated
		if len(lines) > 3 {
			lines = lines[:3]
		}
		fmt.Fprintf(w, "  note\n")
		for _, l := range lines {
			fmt.Fprintf(w, "    | %s\n", printable(l))
		}
		if more {
			fmt.Fprintf(w, "    | … (the whole note is in %s)\n", filepath.Join(r.Dir, "note.txt"))
		}
	}
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || unicode.IsPrint(r) {
			return r
		}
		return '\uFFFD'
	}, s)
}
