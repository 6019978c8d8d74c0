package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"refuge/crypto/ack"
	"refuge/crypto/bundle"
	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/internal/lowerhex"
	"refuge/internal/termtext"
)

// A bundle opened before is known by its ciphertext. The report.txt that
// open writes into OUTDIR/<submission id>/ records the submission id, the
// size and the SHA-256 of the bundle's bytes, so running open again on an
// inbox (after a run cut short, or with new bundles beside the old ones)
// skips the bundles opened before without decrypting them again, whatever
// their file names: pulled as <submission id>.age, handed over by hand, or
// renamed.

// openedRecord is what a report.txt written by open records about the
// bundle it came from.
type openedRecord struct {
	dir     string // OUTDIR/<submission id>, the folder of the report
	id      string // the submission id
	sum     string // the ciphertext's SHA-256, lowercase hex
	size    int64  // the ciphertext's size in bytes; -1 if the report gives none
	flagged bool   // the report is flagged
	// noticed: the report holds a notice that the server's record of the
	// upload and the bundle's signature disagree (uploadMismatch).
	noticed bool
	// acked: the report says the acknowledgement is in the outbox or was
	// pushed (ackDone); a later open with --ack-key updates it if not.
	acked bool
	// unchecked: the bundle carries a partner's signature that was not
	// checked, because no key manifest was given when it was opened.
	unchecked bool
}

// uncheckedSender is what a report's sender line says of a partner
// signature that open had no key manifest to check against (checkSender).
const uncheckedSender = "NOT VERIFIED (no --manifest given"

// readReportRecord reads the record of OUTDIR/<id>/report.txt, written by
// open. What a bundle puts in the report passes through termtext.Line (no line
// breaks), so it cannot forge these lines; they all come before "Files:",
// where reading stops.
func readReportRecord(dir string) (rec openedRecord, ok bool) {
	rec = openedRecord{dir: dir, size: -1}
	f, err := os.Open(filepath.Join(dir, reportName)) // #nosec G304 G703 -- OUTDIR/<submission id>/report.txt, written by open
	if err != nil {
		return rec, false
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "!! FLAGGED"):
			rec.flagged = true
		case l == noticeHead:
			rec.noticed = true
		case strings.HasPrefix(l, "submission id "):
			if fl := strings.Fields(strings.TrimPrefix(l, "submission id ")); len(fl) > 0 {
				rec.id = fl[0]
			}
		case strings.HasPrefix(l, "ciphertext "):
			// ciphertext       <size> bytes, SHA-256 <hex>
			fl := strings.Fields(l)
			if len(fl) == 5 && fl[2] == "bytes," && fl[3] == "SHA-256" {
				if n, err := strconv.ParseInt(fl[1], 10, 64); err == nil && n >= 0 {
					rec.size = n
				}
			}
			if _, after, found := strings.Cut(l, "SHA-256 "); found {
				rec.sum = strings.TrimSpace(after)
			}
		case strings.HasPrefix(l, "sender "):
			rec.unchecked = strings.Contains(l, uncheckedSender)
		case strings.HasPrefix(l, ackLabel+" "):
			rec.acked = ackDone(strings.TrimSpace(strings.TrimPrefix(l, ackLabel)))
		case strings.HasPrefix(l, "Files:"):
			return rec, rec.id != "" && rec.sum != ""
		}
	}
	return rec, rec.id != "" && rec.sum != ""
}

// recordOf is the record of a bundle just opened and reported.
func recordOf(r *report) openedRecord {
	return openedRecord{
		dir: r.res.Dir, id: r.res.SubmissionID, sum: hex.EncodeToString(r.res.CiphertextSHA256[:]),
		size: r.res.CiphertextSize, flagged: len(r.flags) > 0, noticed: r.notice != nil,
		unchecked: strings.Contains(r.sender, uncheckedSender), acked: ackDone(r.ackLine),
	}
}

// openedIndex holds the records of the reports in one OUTDIR, read once
// per run, by ciphertext SHA-256 and by size.
type openedIndex struct {
	bySum  map[string]openedRecord
	sizes  map[int64]bool // the sizes recorded; -1: a report gives none
	hashed int            // bundles hashed by find (tests count them)
}

// loadOpened reads the record of every OUTDIR/<submission id>/report.txt.
// Only the head of each report is read (it stops at "Files:"), so a folder
// of thousands of submissions costs a fraction of a second. A report in a
// folder not named after the id it records (moved by hand) is left out:
// the skip would name the wrong folder.
func loadOpened(outDir string) *openedIndex {
	x := &openedIndex{bySum: map[string]openedRecord{}, sizes: map[int64]bool{}}
	entries, err := os.ReadDir(outDir)
	if err != nil {
		return x
	}
	for _, de := range entries {
		if !de.IsDir() || !lowerhex.ID(de.Name()) {
			continue
		}
		if rec, ok := readReportRecord(filepath.Join(outDir, de.Name())); ok && rec.id == de.Name() {
			x.add(rec)
		}
	}
	return x
}

func (x *openedIndex) add(rec openedRecord) {
	x.bySum[rec.sum] = rec
	x.sizes[rec.size] = true
}

// find reports whether the bundle file name was opened into OUTDIR: a
// report there records the SHA-256 of its bytes. It hashes only a regular
// file of a size that some report records: a bundle of another size is new,
// and read once, by open alone (padding makes sizes coarse, so a new bundle
// may share one and be read twice). It reads as open does: once, letting
// the file leave the page cache. A bundle carried in on removable media
// is not in the cache, and filling the cache with it cost more than
// decrypting it (1 GiB, on the VM of docs/BENCHMARKS.md: 4-5 s against
// 2.5 s for open).
//
// When ctx ends (Ctrl-C), the file is closed: the hash is cut short and
// the bundle not found.
func (x *openedIndex) find(ctx context.Context, name string) (openedRecord, bool) {
	// Stat before opening: opening a named pipe would wait for a writer,
	// and reading from it would take what open needs.
	if fi, err := os.Stat(name); len(x.bySum) == 0 || err != nil || !x.mayHold(fi) {
		return openedRecord{}, false
	}
	f, err := os.Open(name) // #nosec G304 G703 -- a bundle named by the officer on the command line
	if err != nil {
		return openedRecord{}, false
	}
	defer f.Close()
	defer context.AfterFunc(ctx, func() { f.Close() })()
	if fi, err := f.Stat(); err != nil || !x.mayHold(fi) {
		return openedRecord{}, false
	}
	x.hashed++
	h := sha256.New()
	if _, err := io.CopyBuffer(h, bundle.NewReadBehind(f), make([]byte, 1<<20)); err != nil {
		return openedRecord{}, false
	}
	rec, ok := x.bySum[hex.EncodeToString(h.Sum(nil))]
	return rec, ok
}

// mayHold reports whether fi is a regular file of a size that a report
// records.
func (x *openedIndex) mayHold(fi os.FileInfo) bool {
	return fi.Mode().IsRegular() && (x.sizes[fi.Size()] || x.sizes[-1])
}

// alreadyOpened checks that OUTDIR/<submission id>, which a bundle could not
// be opened into, holds the result of opening that same bundle: its
// report.txt records the same submission id and ciphertext SHA-256. It
// returns that record, or an error saying why the folder cannot be taken
// for this bundle's. It changes nothing.
func alreadyOpened(name, outDir string, ao *bundle.AlreadyOpenedError) (openedRecord, error) {
	dir := filepath.Join(outDir, ao.SubmissionID)
	rec, ok := readReportRecord(dir)
	switch {
	case !ok:
		return rec, failf("%s: %s already exists, with no %s saying which bundle it came from; nothing was overwritten", name, dir, reportName).
			Hint("if an open was cut short there, move %s away and open the bundle again; or open it into another -o folder", dir)
	case rec.id != ao.SubmissionID || rec.sum != hex.EncodeToString(ao.CiphertextSHA256[:]):
		return rec, failf("%s: submission %s is already in %s, opened from another bundle (its %s records another ciphertext); nothing was overwritten", name, ao.SubmissionID, dir, reportName).
			Hint("two bundles sealed for one submission id (a replayed or sealed-again upload?): compare them before acting; open this one into another -o folder to read it")
	}
	return rec, nil
}

// skipOpened prints that the bundle file name was opened before, into
// rec.dir, and whether it is flagged: flagged when it was opened, or now
// named <id>.age after another submission id than the one it was sealed
// for. With an ack key it writes the acknowledgement the bundle would have
// had if the key had been given when it was opened, from the record alone
// (the submission id and the SHA-256 of the bytes just hashed), unless the
// bundle is flagged, it was pushed already, or its partner signature was
// never checked and the officer now gives a key manifest to check it.
// When the acknowledgement is then in the outbox, or pushed, and
// report.txt said it was not written, it updates report.txt to say so
// (updateReportAck). It returns whether the bundle is flagged.
func (e *env) skipOpened(name string, rec openedRecord, key *signing.PrivateKey, outbox string, checking bool) (flagged bool, err *cli.Error) {
	fmt.Fprintf(e.stdout, "%s: already opened into %s; skipped\n", termtext.Line(name), termtext.Line(rec.dir))
	if rec.flagged {
		flagged = true
		fmt.Fprintf(e.stdout, "  FLAGGED     when it was opened: see its %s\n", reportName)
	}
	if rec.noticed {
		fmt.Fprintf(e.stdout, "  NOTICE      when it was opened, the server's record of the upload and the bundle's signature disagreed: see its %s\n", reportName)
	}
	if base := filepath.Base(name); pulledName.MatchString(base) && strings.TrimSuffix(base, ".age") != rec.id {
		flagged = true
		fmt.Fprintf(e.stdout, "  FLAGGED     pulled under %s, but it is the bundle sealed for %s (a swapped or replayed upload?)\n", strings.TrimSuffix(base, ".age"), rec.id)
	}
	if key == nil {
		return flagged, nil
	}
	line, err := ackOpened(name, rec, flagged, key, outbox, checking)
	fmt.Fprintf(e.stdout, "  ack         %s\n", termtext.Line(line))
	if err != nil || !ackDone(line) || rec.acked {
		return flagged, err
	}
	path := filepath.Join(rec.dir, reportName)
	if uerr := updateReportAck(rec.dir, line); uerr != nil {
		fmt.Fprintf(e.stdout, "  report      NOT updated: %s\n", termtext.Line(uerr.Error()))
		return flagged, failf("%s: acknowledged, but its %s still says no acknowledgement was written: %v", name, reportName, uerr).
			Hint("the acknowledgement is in the outbox all the same; run the same open again to update %s", path)
	}
	fmt.Fprintf(e.stdout, "  report      %s now says so\n", termtext.Line(path))
	return flagged, nil
}

// ackOpened writes the acknowledgement of a bundle opened before, if it may
// have one, and says what it did.
func ackOpened(name string, rec openedRecord, flagged bool, key *signing.PrivateKey, outbox string, checking bool) (string, *cli.Error) {
	s := ack.Statement{SubmissionID: rec.id}
	switch {
	case flagged:
		return "NOT written because the bundle is flagged: the ciphertext stays on the server as evidence", nil
	case rec.unchecked && checking:
		return "NOT written: its partner signature was not checked when it was opened (no --manifest then)",
			failf("%s: opened before, but not acknowledged: its partner signature was not checked when it was opened (no --manifest then)", name).
				Hint("open it into another -o folder with --manifest, --root-pub, --ack-key and --outbox: that checks the signature and writes the acknowledgement")
	case !lowerhex.Valid(rec.sum, 64):
		return "NOT written: its report.txt records no valid ciphertext SHA-256",
			failf("%s: opened before, but its %s records no valid ciphertext SHA-256; no acknowledgement was written", name, reportName)
	}
	_, _ = hex.Decode(s.SHA256[:], []byte(rec.sum))
	if sent := filepath.Join(outbox, "sent", "acks", ack.FileName(rec.id)); sentAlready(sent, s) {
		return "already pushed: " + sent, nil
	}
	line, err := writeAck(outbox, key, s)
	if err != nil {
		return "NOT written: " + err.Error(), failf("%s: opened before, but the acknowledgement was not written: %v", name, err)
	}
	return line, nil
}

// sentAlready reports whether path, in the outbox's sent/ folder where
// "refuge courier push" moves what it pushed, holds the statement s.
func sentAlready(path string, s ack.Statement) bool {
	want, err := s.Marshal()
	if err != nil {
		return false
	}
	got, err := os.ReadFile(path) // #nosec G304 -- inside the outbox named by the officer
	return err == nil && bytes.Equal(got, want)
}
