package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"refuge/internal/termtext"
)

// report.txt is written once, when its bundle is opened. Its
// acknowledgement line is the one line a later open changes: run again
// with --ack-key over a bundle opened without one, open writes the
// acknowledgement (skipOpened) and then rewrites report.txt with that line
// updated, so that the report does not go on saying that none was given.

// ackLabel begins the acknowledgement line of report.txt.
const ackLabel = "acknowledgement"

// ackDone reports whether an acknowledgement line (what follows ackLabel)
// says that the acknowledgement is in the outbox or was pushed.
func ackDone(line string) bool {
	for _, p := range []string{"written to ", "already in the outbox", "already pushed"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// maxReportHead bounds what updateReportAck reads before the
// acknowledgement line, as readReportRecord does.
const maxReportHead = 1 << 20

// updateReportAck rewrites dir/report.txt with its acknowledgement line
// saying line, by a later open, and what it said before; every other byte
// is kept. It replaces the file atomically (replaceFile), in its folder
// only: it refuses a dir or a report.txt that is a symbolic link or not
// what it should be (a folder, a regular file), so it never writes
// outside OUTDIR nor through a link.
func updateReportAck(dir, line string) error {
	if fi, err := os.Lstat(dir); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder (a symbolic link?); nothing was written through it", dir)
	}
	path := filepath.Join(dir, reportName)
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (a symbolic link?); nothing was written through it", path)
	}
	f, err := os.Open(path) // #nosec G304 -- OUTDIR/<submission id>/report.txt, checked above and below
	if err != nil {
		return err
	}
	defer f.Close()
	if got, err := f.Stat(); err != nil || !os.SameFile(fi, got) {
		return fmt.Errorf("%s changed while it was read; nothing was written", path)
	}
	br := bufio.NewReader(f)
	return replaceFile(path, func(w io.Writer) error {
		if err := copyHead(w, br, line); err != nil {
			return err
		}
		_, err := io.Copy(w, br)
		return err
	})
}

// errNoAckLine is copyHead's error for a report without an
// acknowledgement line before "Files:".
var errNoAckLine = errors.New("it has no " + ackLabel + " line to update")

// copyHead copies the report from r to w up to its acknowledgement line,
// which it writes updated to say line.
func copyHead(w io.Writer, r *bufio.Reader, line string) error {
	for n := 0; n <= maxReportHead; {
		l, err := r.ReadString('\n')
		n += len(l)
		switch {
		case err != nil, strings.HasPrefix(l, "Files:"):
			return errNoAckLine
		case strings.HasPrefix(l, ackLabel+" "):
			before := strings.TrimSpace(strings.TrimPrefix(l, ackLabel))
			l = fmt.Sprintf("%-16s %s, by a later open; when the bundle was opened: %s\n", ackLabel, termtext.Line(line), before)
		}
		if _, err := io.WriteString(w, l); err != nil {
			return err
		}
		if strings.HasPrefix(l, ackLabel+" ") {
			return nil
		}
	}
	return errNoAckLine
}
