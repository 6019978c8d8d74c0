package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"refuge/crypto/ack"
	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/internal/noreplace"
)

// The outbox is the folder the courier carries back to the online machine
// and pushes with "refuge courier push". It holds only what the server may
// see:
//
//	OUTBOX/acks/<submission id>.json           acknowledgement statement (crypto/ack)
//	OUTBOX/acks/<submission id>.json.minisig   its minisign signature by the ack key
//	OUTBOX/replies/<submission id>/<name>.age  a reply, age-encrypted to the submitter
//
// Never plaintext, file names from a bundle, or a report.

// writeAck signs the acknowledgement of one submission's ciphertext and
// puts it in the outbox. It returns the line that says so for the summary
// and the report: "written to" the statement's path, or "already in the
// outbox" when the same acknowledgement was there (the bundle opened
// again).
func writeAck(outbox string, key *signing.PrivateKey, s ack.Statement) (string, error) {
	path, fresh, err := putAck(outbox, key, s)
	if err != nil {
		return "", err
	}
	const then = " (the server deletes the ciphertext when the courier pushes it)"
	if !fresh {
		return "already in the outbox: " + path + then, nil
	}
	return "written to " + path + then, nil
}

// putAck writes the acknowledgement s into the outbox; fresh is false when
// the same one was there already.
// The outbox folders it makes go again if it fails.
func putAck(outbox string, key *signing.PrivateKey, s ack.Statement) (path string, fresh bool, err error) {
	stmt, sig, err := ack.Sign(key, s)
	if err != nil {
		return "", false, err
	}
	dir := filepath.Join(outbox, "acks")
	made, err := cli.MakeDirs(dir)
	if err != nil {
		return "", false, fmt.Errorf("cannot create the outbox: %w", err)
	}
	defer func() {
		if err != nil {
			made.RemoveEmpty()
		}
	}()
	name := filepath.Join(dir, ack.FileName(s.SubmissionID))
	// The same acknowledgement again (the bundle opened into another
	// folder) is not an error; a different one never replaces it.
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, stmt) { // #nosec G304 -- inside the outbox named by the officer
		if oldSig, err := os.ReadFile(name + ".minisig"); err == nil && bytes.Equal(oldSig, sig) { // #nosec G304 -- idem
			return name, false, nil
		}
	}
	// The signature first: push sends a statement only with its signature.
	if err := publishFile(name+".minisig", sig); err != nil {
		return "", false, err
	}
	if err := publishFile(name, stmt); err != nil {
		os.Remove(name + ".minisig") // #nosec G104 -- cleanup after the error being returned
		return "", false, err
	}
	return name, true, nil
}

// publishFile writes data to a new file at path atomically: a temporary
// file in the same folder, fsynced, then linked into place (which fails if
// path exists, so nothing is ever overwritten), and the folder fsynced. A
// crash leaves either nothing or the whole file, never part of it.
func publishFile(path string, data []byte) error {
	tmp, err := stageFile(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // #nosec G104 -- the temporary name; the file stays under path
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; refusing to overwrite it", path)
		}
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return noreplace.SyncDir(filepath.Dir(path))
}

// replaceFile replaces the file at path atomically with what write
// writes: a temporary file in the same folder, fsynced, renamed over path
// (which replaces the name, never follows it), and the folder fsynced. A
// crash leaves either the old file or the whole new one.
func replaceFile(path string, write func(io.Writer) error) error {
	tmp, err := stageFile(path, write)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // #nosec G104 -- the temporary name, gone once renamed
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return noreplace.SyncDir(filepath.Dir(path))
}

// stageFile writes a new temporary file (mode 0600) in the folder of path
// with write, fsyncs and closes it, and returns its name. The caller
// removes it once it is in place or not wanted.
func stageFile(path string, write func(io.Writer) error) (string, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".refuge-outbox-*")
	if err != nil {
		return "", fmt.Errorf("cannot write into %s: %w", dir, err)
	}
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name()) // #nosec G104 -- cleanup after the error being returned
		// The reason alone: the temporary name, gone, would only puzzle.
		return "", fmt.Errorf("cannot write %s: %w", path, cli.Reason(err))
	}
	return tmp.Name(), nil
}
