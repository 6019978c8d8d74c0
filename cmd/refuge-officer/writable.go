package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"refuge/internal/cli"
)

// A folder open writes into (OUTDIR, the outbox's acks) is checked before
// any passphrase is read: a read-only disk, a folder of another account or
// a file in the way would otherwise show only once the keys are unlocked
// and the first bundle decrypted. The checks make nothing: the folder, or
// the one it would be made in, is looked at, and the system asked whether
// this account may write there (access(2), which a read-only mount fails
// too). The writes themselves still say what went wrong if the disk
// changes in between.

// takesFiles reports why no file can be written into dir (made, with
// its missing parents, if missing): nil when one can. at is the folder (or
// file) found in the way: dir itself, or its nearest parent that exists.
func takesFiles(dir string) (at string, err error) {
	at = filepath.Clean(dir)
	for {
		_, err := os.Lstat(at)
		if err == nil {
			break
		}
		// A file in the way of a missing folder: ENOTDIR, found below.
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return at, cli.Reason(err)
		}
		parent := filepath.Dir(at)
		if parent == at {
			return at, cli.Reason(err)
		}
		at = parent
	}
	fi, err := os.Stat(at) // a link to a folder is one
	switch {
	case err != nil:
		return at, cli.Reason(err)
	case !fi.IsDir():
		return at, syscall.ENOTDIR
	}
	return at, canWrite(at)
}

// folderCheck is the error of open for the folder dir, given to flag
// (whose name in the messages is what), that cannot take a file, or nil.
// hints say what to do, by reason: a file in the way, a read-only disk,
// a folder this account may not write to.
func folderCheck(flag, dir, sub string, h folderHints) error {
	at, err := takesFiles(filepath.Join(dir, sub))
	if err == nil {
		return nil
	}
	var e *cli.Error
	switch {
	case errors.Is(err, syscall.ENOTDIR) && at == filepath.Clean(dir):
		e = failf("%s %s is a file, not a folder; nothing was opened", flag, dir).Hint("%s", h.file)
	case errors.Is(err, syscall.ENOTDIR):
		e = failf("%s %s cannot be made: %s is a file, not a folder; nothing was opened", flag, dir, at).Hint("%s", h.file)
	case errors.Is(err, syscall.EROFS):
		e = failf("%s %s cannot be written: %s is on a read-only disk; nothing was opened", flag, dir, at).Hint("%s", h.readOnly)
	case errors.Is(err, fs.ErrPermission):
		e = failf("%s %s cannot be written: this account may not write into %s; nothing was opened", flag, dir, at).Hint("%s", h.denied)
	default:
		e = failf("%s %s cannot be written: %s: %v; nothing was opened", flag, dir, at, err).Hint("%s", h.denied)
	}
	return e
}

type folderHints struct{ file, readOnly, denied string }

// checkFolders refuses, before any passphrase is read, an OUTDIR that
// cannot be made or written into and, when acknowledgements are to be
// written, an outbox that cannot take them.
func checkFolders(outDir, outbox string) error {
	err := folderCheck("-o", outDir, "", folderHints{
		file:     "give -o a folder (made if missing) on this machine, such as -o inbox; then run the same command again",
		readOnly: "give an -o folder on a disk that can be written (the submissions are kept there), or mount that disk read-write; then run the same command again",
		denied:   "give an -o folder this account may write to, such as -o inbox in your home folder; then run the same command again",
	})
	if err != nil || outbox == "" {
		return err
	}
	return folderCheck("--outbox", outbox, "acks", folderHints{
		file:     "give --outbox the outbox folder (made if missing) on the courier's stick, such as --outbox /media/usb/outbox; then run the same command again",
		readOnly: "the stick may be write-protected (a switch on its side) or mounted read-only: make it writable, or give another --outbox; then run the same command again",
		denied:   "give an --outbox this account may write to (a stick mounted for another account: mount it for this one); then run the same command again",
	})
}
