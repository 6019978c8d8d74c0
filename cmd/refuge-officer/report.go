package main

import (
	"bufio"
	"bytes"
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
	"refuge/internal/termtext"
	"refuge/internal/uploaders"
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
	// uploaderLine is who uploaded the bundle, as the server recorded it
	// and the courier's UPLOADERS says; "" when there is no such file.
	uploaderLine string
	upload       *uploaders.Entry // that record, nil when none was read
	sig          sigState         // what checkSender found of the partner signature
	// notice says how the server's record and the signature disagree, or
	// is nil (uploadMismatch). Not a flag.
	notice  *uploadNotice
	ackLine string // whether an acknowledgement was written, and why not
	flags   []string
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
	r.uploaderLine, r.upload = uploaderOf(source, r.pulledAs)
	r.notice = uploadMismatch(r.upload, res.Partner, r.sig)
	return r
}

// errNotRegular is the error of openBeside for what is not a file.
var errNotRegular = errors.New("not a regular file")

// openBeside opens the courier's file name in the bundle source's folder
// for reading, if it is a regular file. A FIFO in its place (a tampered
// stick) would otherwise make open wait forever for a writer.
func openBeside(source, name string) (*os.File, error) {
	path := filepath.Join(filepath.Dir(source), name)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", name, errNotRegular)
	}
	return os.Open(path) // #nosec G304 G703 -- beside a bundle named by the officer
}

func (r *report) flag(why string) { r.flags = append(r.flags, why) }

// checkSums compares the ciphertext hash with the courier's SHA256SUMS
// beside the bundle, if there is one.
func checkSums(source, base, sum string, r *report) string {
	f, err := openBeside(source, "SHA256SUMS")
	if errors.Is(err, errNotRegular) {
		return "the SHA256SUMS beside the bundle is not a regular file, not read"
	}
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
		// SHA256SUMS comes on the courier's medium, as the bundle does:
		// what it lists is shown as no more than a hash can be.
		listed := fl[0]
		if len(listed) > 64 {
			listed = listed[:64] + "…"
		}
		return "MISMATCH with the courier's SHA256SUMS (" + termtext.Line(listed) + ")"
	}
	return "not listed in the SHA256SUMS beside the bundle"
}

// checkSender verifies a partner's signature over manifest.json with the
// partner key that the verified key manifest lists under that name, and
// records in r.sig what it found.
func checkSender(res *bundle.Result, m *manifest.Manifest, r *report) string {
	r.sig = sigOther
	if res.Partner == "" {
		if res.HasSignature() {
			return "unauthenticated (anonymous submission; it carries a signature that names no partner, not checked)"
		}
		r.sig = sigNone
		return "unauthenticated (anonymous submission)"
	}
	who := fmt.Sprintf("partner %q", termtext.Line(res.Partner))
	switch {
	case !res.HasSignature():
		r.sig = sigNone
		r.flag("the bundle names a partner but carries no partner signature")
		return who + ": NOT SIGNED, the sender is not authenticated"
	case m == nil:
		r.sig = sigUnchecked
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
	r.sig = sigVerified
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
	if r.notice != nil {
		b.WriteString(noticeHead + "\n")
		for _, l := range r.notice.lines() {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
		b.WriteString("\n")
	}
	line := func(k, v string) { fmt.Fprintf(&b, "%-16s %s\n", k, v) }
	line("bundle file", termtext.Line(r.source))
	line("submission id", res.SubmissionID+" ("+r.idLine+")")
	line("ciphertext", fmt.Sprintf("%d bytes, SHA-256 %x", res.CiphertextSize, res.CiphertextSHA256))
	line("", r.sumsLine)
	line("kind", termtext.Line(res.Kind))
	line("created", termtext.Line(res.Created))
	line("sender", r.sender)
	if r.uploaderLine != "" {
		line("uploaded", r.uploaderLine)
	}
	if res.ReplyRecipient != "" {
		line("reply", "possible, signed: refuge-officer reply --ack-key ACK-KEY --to "+termtext.Line(res.Dir))
	} else {
		line("reply", "not possible: the bundle names no reply recipient")
	}
	line(ackLabel, r.ackLine)

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
		fmt.Fprintf(&b, "  %12d  %s  %s\n", en.Size, en.SHA256, termtext.Line(strings.TrimPrefix(en.Name, "files/")))
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
		b.WriteString("  | " + termtext.Line(l) + "\n")
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
			if err := renderJSON(b, dec, indent, termtext.Line(strings.ReplaceAll(key, "_", " "))+":", depth+1); err != nil {
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
	fmt.Fprintf(b, "%s%s %s\n", indent, label, termtext.Line(lines[0]))
	for _, l := range lines[1:] {
		fmt.Fprintf(b, "%s    %s\n", indent, termtext.Line(l))
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
