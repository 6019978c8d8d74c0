package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"refuge/crypto/bundle"
	"refuge/crypto/manifest"
	"refuge/internal/progress"
)

// ReportName is the readable report that open writes beside the contents
// of each opened bundle, OUTDIR/<submission id>/report.txt. It holds
// plaintext (file names, the note, the referral) and never leaves the
// air-gapped machine: it is not in the outbox.
const reportName = "report.txt"

// report is what open found out about one bundle.
type report struct {
	source   string // the bundle file as named on the command line
	pulledAs string // submission id from the file name (<id>.age), or ""
	res      *bundle.Result

	idLine   string // whether the pulled id matches the sealed one
	sumsLine string // what SHA256SUMS beside the bundle says
	sender   string // partner signature verified, not, or anonymous
	ackLine  string // whether an acknowledgement was written, and why not
	flags    []string
}

var pulledName = regexp.MustCompile(`^[0-9a-f]{32}\.age$`)

// newReport runs the checks that need no key: the id the bundle was pulled
// under (the courier names files <submission id>.age), the courier's
// SHA256SUMS, and the partner's signature against the key manifest (m may
// be nil when no manifest was given).
func newReport(source string, res *bundle.Result, m *manifest.Manifest) *report {
	r := &report{source: source, res: res}
	sum := hex.EncodeToString(res.CiphertextSHA256[:])
	base := filepath.Base(source)
	if pulledName.MatchString(base) {
		r.pulledAs = strings.TrimSuffix(base, ".age")
	}
	switch {
	case r.pulledAs == "":
		// Only the courier's file name carries the id the server held the
		// ciphertext under; a bundle handed over by hand has none. Not a
		// flag: whoever can rename a file could as well name it after the
		// sealed id.
		r.idLine = `not checked: not named <submission id>.age as "refuge courier pull" names bundles, so there is no pulled id to compare (normal for a bundle handed over by hand)`
	case r.pulledAs == res.SubmissionID:
		r.idLine = "matches the id it was pulled under"
	default:
		r.idLine = fmt.Sprintf("MISMATCH: pulled under %s but sealed for %s", r.pulledAs, res.SubmissionID)
		r.flag("the bundle was pulled under another submission id than the one it was sealed for (a swapped or replayed upload?)")
	}
	r.sumsLine = checkSums(source, base, sum, r)
	r.sender = checkSender(res, m, r)
	return r
}

func (r *report) flag(why string) { r.flags = append(r.flags, why) }

// checkSums compares the ciphertext hash with the courier's SHA256SUMS
// beside the bundle, if there is one.
func checkSums(source, base, sum string, r *report) string {
	f, err := os.Open(filepath.Join(filepath.Dir(source), "SHA256SUMS")) // #nosec G304 G703 -- beside a bundle named by the officer
	if err != nil {
		return "no SHA256SUMS beside the bundle"
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 16<<20))
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) != 2 || strings.TrimPrefix(fl[1], "*") != base {
			continue
		}
		if fl[0] == sum {
			return "matches the courier's SHA256SUMS"
		}
		r.flag("the ciphertext is not the one the courier's SHA256SUMS lists")
		return "MISMATCH with the courier's SHA256SUMS (" + fl[0] + ")"
	}
	return "not listed in the SHA256SUMS beside the bundle"
}

// checkSender verifies a partner's signature over manifest.json with the
// partner key that the verified key manifest lists under that name.
func checkSender(res *bundle.Result, m *manifest.Manifest, r *report) string {
	if res.Partner == "" {
		if res.HasSignature() {
			return "unauthenticated (anonymous submission; it carries a signature that names no partner, not checked)"
		}
		return "unauthenticated (anonymous submission)"
	}
	who := fmt.Sprintf("partner %q", printable(res.Partner))
	switch {
	case !res.HasSignature():
		r.flag("the bundle names a partner but carries no partner signature")
		return who + ": NOT SIGNED, the sender is not authenticated"
	case m == nil:
		return who + ": signature present, NOT VERIFIED (no --manifest given to check it against)"
	}
	key, ok := m.PartnerKey(res.Partner)
	if !ok {
		r.flag("the partner named in the bundle is not in the key manifest")
		return fmt.Sprintf("%s: NOT VERIFIED, key manifest version %d lists no such partner", who, m.Version)
	}
	if _, err := key.Verify(res.ManifestJSON, res.Signature); err != nil {
		r.flag("the partner signature does not verify")
		return fmt.Sprintf("%s: signature INVALID for key %s of key manifest version %d", who, key.KeyID(), m.Version)
	}
	return fmt.Sprintf("%s: signature verified with key %s of key manifest version %d", who, key.KeyID(), m.Version)
}

// text renders the report.
func (r *report) text() string {
	var b strings.Builder
	res := r.res
	fmt.Fprintf(&b, "Refuge bundle report\n\n")
	if len(r.flags) > 0 {
		fmt.Fprintf(&b, "!! FLAGGED: check before acting on this submission\n")
		for _, f := range r.flags {
			fmt.Fprintf(&b, "!!   - %s\n", f)
		}
		b.WriteString("\n")
	}
	line := func(k, v string) { fmt.Fprintf(&b, "%-16s %s\n", k, v) }
	line("bundle file", printable(r.source))
	line("submission id", res.SubmissionID+" ("+r.idLine+")")
	line("ciphertext", fmt.Sprintf("%d bytes, SHA-256 %x", res.CiphertextSize, res.CiphertextSHA256))
	line("", r.sumsLine)
	line("kind", printable(res.Kind))
	line("created", printable(res.Created))
	line("sender", r.sender)
	if res.ReplyRecipient != "" {
		line("reply", "possible: refuge-officer reply --to "+printable(res.Dir))
	} else {
		line("reply", "not possible: the bundle names no reply recipient")
	}
	line("acknowledgement", r.ackLine)

	var files []bundle.Entry
	var total int64
	for _, en := range res.Entries {
		if strings.HasPrefix(en.Name, "files/") {
			files = append(files, en)
			total += en.Size
		}
	}
	fmt.Fprintf(&b, "\nFiles: %d, %s in total (sizes and SHA-256 verified against manifest.json)\n", len(files), progress.Size(total))
	for _, en := range files {
		fmt.Fprintf(&b, "  %12d  %s  %s\n", en.Size, en.SHA256, printable(strings.TrimPrefix(en.Name, "files/")))
	}
	b.WriteString("\nNote:\n")
	b.WriteString(indentText(readSmall(filepath.Join(res.Dir, "note.txt")), "(no note)"))
	b.WriteString("\nReferral form:\n")
	b.WriteString(referralText(readSmall(filepath.Join(res.Dir, "referral.json"))))
	return b.String()
}

// readSmall reads an extracted text entry (bounded like notes when sealed).
func readSmall(path string) []byte {
	f, err := os.Open(path) // #nosec G304 G703 -- inside the folder open just wrote
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, bundle.MaxNoteSize))
	return b
}

// indentText returns text with every line made printable and indented.
func indentText(text []byte, empty string) string {
	s := strings.TrimRight(string(text), "\n")
	if strings.TrimSpace(s) == "" {
		return "  " + empty + "\n"
	}
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString("  | " + printable(l) + "\n")
	}
	return b.String()
}

// referralText renders referral.json as indented "field: value" lines, in
// the order of the file. It works on any JSON, so an unexpected form is
// still shown; what is not JSON is shown as text.
func referralText(data []byte) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return "  (no referral form)\n"
	}
	var b strings.Builder
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := renderJSON(&b, dec, "  ", "", 0); err != nil {
		return "  (referral.json is not valid JSON; shown as text)\n" + indentText(data, "")
	}
	return b.String()
}

// maxReferralDepth bounds the nesting that renderJSON follows (a form is
// two levels deep; a hostile one could nest a million).
const maxReferralDepth = 16

// renderJSON writes the next JSON value from dec; label prefixes a scalar
// on the same line, or heads a nested object or array.
func renderJSON(b *strings.Builder, dec *json.Decoder, indent, label string, depth int) error {
	if depth > maxReferralDepth {
		return errors.New("referral.json nests too deep")
	}
	t, err := dec.Token()
	if err != nil {
		return err
	}
	switch t {
	case json.Delim('{'):
		if label != "" {
			fmt.Fprintf(b, "%s%s\n", indent, label)
			indent += "  "
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			if err := renderJSON(b, dec, indent, printable(strings.ReplaceAll(key, "_", " "))+":", depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		fmt.Fprintf(b, "%s%s\n", indent, label)
		n := 0
		for dec.More() {
			n++
			if err := renderJSON(b, dec, indent+"  ", fmt.Sprintf("%d.", n), depth+1); err != nil {
				return err
			}
		}
		if n == 0 {
			fmt.Fprintf(b, "%s  (none)\n", indent)
		}
		_, err = dec.Token()
		return err
	}
	v := fmt.Sprint(t)
	if t == nil {
		v = "(none)"
	}
	lines := strings.Split(v, "\n")
	fmt.Fprintf(b, "%s%s %s\n", indent, label, printable(lines[0]))
	for _, l := range lines[1:] {
		fmt.Fprintf(b, "%s    %s\n", indent, printable(l))
	}
	return nil
}

// writeReport writes the report into the opened submission's folder.
func writeReport(r *report) (string, error) {
	path := filepath.Join(r.res.Dir, reportName)
	if err := publishFile(path, []byte(r.text())); err != nil {
		return "", err
	}
	return path, nil
}

// alreadyOpened checks that OUTDIR/<submission id>, which a bundle could not
// be opened into, holds the result of opening that same bundle: its
// report.txt records the same submission id and ciphertext SHA-256. It
// returns whether that report is flagged, or an error saying why the folder
// cannot be taken for this bundle's. It changes nothing.
func alreadyOpened(name, outDir string, ao *bundle.AlreadyOpenedError) (flagged bool, err error) {
	dir := filepath.Join(outDir, ao.SubmissionID)
	id, sum, flagged, ok := readReportRecord(filepath.Join(dir, reportName))
	switch {
	case !ok:
		return false, failf("%s: %s already exists, with no %s saying which bundle it came from; nothing was overwritten", name, dir, reportName).
			hint("if an open was cut short there, move %s away and open the bundle again; or open it into another -o folder", dir)
	case id != ao.SubmissionID || sum != hex.EncodeToString(ao.CiphertextSHA256[:]):
		return false, failf("%s: submission %s is already in %s, opened from another bundle (its %s records another ciphertext); nothing was overwritten", name, ao.SubmissionID, dir, reportName).
			hint("two bundles sealed for one submission id (a replayed or sealed-again upload?): compare them before acting; open this one into another -o folder to read it")
	}
	return flagged, nil
}

// openedBefore reports whether name, a bundle file named <submission
// id>.age as courier pull names them, was already opened into outDir:
// OUTDIR/<id>/report.txt records that id and the SHA-256 of these very
// bytes. Hashing the file costs a fraction of decrypting and writing it
// again, which is what running open again on a whole inbox did before it
// found the folder there. Any other bundle is opened as usual (and, if its
// folder exists, refused or skipped after; see alreadyOpened).
func openedBefore(name, outDir string) (flagged, ok bool) {
	base := filepath.Base(name)
	if !pulledName.MatchString(base) {
		return false, false
	}
	id := strings.TrimSuffix(base, ".age")
	rid, sum, flagged, ok := readReportRecord(filepath.Join(outDir, id, reportName))
	if !ok || rid != id {
		return false, false
	}
	f, err := os.Open(name) // #nosec G304 G703 -- a bundle named by the officer on the command line
	if err != nil {
		return false, false
	}
	defer f.Close()
	// Read once and let go of, as open reads a bundle: a bundle carried in
	// on removable media is not in the page cache, and filling the cache
	// with it cost more than decrypting it (1 GiB, on the VM of
	// docs/BENCHMARKS.md: 4-5 s against 2.5 s for open).
	h := sha256.New()
	if _, err := io.CopyBuffer(h, bundle.NewReadBehind(f), make([]byte, 1<<20)); err != nil {
		return false, false
	}
	return flagged, hex.EncodeToString(h.Sum(nil)) == sum
}

// readReportRecord reads what a report.txt written by open records about its
// bundle: the submission id, the ciphertext SHA-256 in hex, and whether it
// was flagged. What a bundle puts in the report passes through printable
// (no line breaks), so it cannot forge these lines.
func readReportRecord(path string) (id, sum string, flagged, ok bool) {
	f, err := os.Open(path) // #nosec G304 G703 -- OUTDIR/<submission id>/report.txt, written by open
	if err != nil {
		return "", "", false, false
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "!! FLAGGED"):
			flagged = true
		case strings.HasPrefix(l, "submission id "):
			if fl := strings.Fields(strings.TrimPrefix(l, "submission id ")); len(fl) > 0 {
				id = fl[0]
			}
		case strings.HasPrefix(l, "ciphertext "):
			if _, after, found := strings.Cut(l, "SHA-256 "); found {
				sum = strings.TrimSpace(after)
			}
		case strings.HasPrefix(l, "Files:"):
			return id, sum, flagged, id != "" && sum != ""
		}
	}
	return id, sum, flagged, id != "" && sum != ""
}
