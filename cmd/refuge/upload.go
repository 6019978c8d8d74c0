package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"refuge/internal/progress"
	"sync"

	"refuge/client"
	"refuge/internal/cli"
	"refuge/server/api"
)

// An upload that was interrupted is resumed by running the same command
// again. Its state lives in $STATE/pending/<key>/, a 0700 folder, where
// key is a hash of the server, the kind, the input files (absolute
// path, size and modification time) and, for refer, the referral form, so
// the same command finds it:
//
//	state.json   the upload: server, kind, submission id, token verifier,
//	             reply recipient, ciphertext size, the creation key the
//	             upload is asked for with, once created the tus
//	             upload URL, once sealed the bundle's CRC-32C, how much
//	             of the spool was freed once the server held it, and
//	             whether an earlier upload of it vanished or expired
//	             (0600)
//	bundle.age   for refuge submit and refer: the sealed ciphertext, a
//	             spool (see spool.go) (0600)
//
// Never plaintext, a file name or the receipt phrase. The folder is
// removed when the upload completes.
type uploadState struct {
	Server         string `json:"server"`
	Kind           string `json:"kind"`
	SubmissionID   string `json:"submission_id"`
	Verifier       string `json:"verifier,omitempty"`
	ReplyRecipient string `json:"reply_recipient,omitempty"`
	Size           int64  `json:"size"`
	UploadURL      string `json:"upload_url,omitempty"`
	// CreationKey names the upload to the server before its URL is known
	// (api.MetaCreationKey): a run whose creation reached the server but
	// whose answer was lost asks again with it and gets the same upload.
	// A new one goes with every new upload.
	CreationKey string `json:"creation_key,omitempty"`
	// Sealed is true once bundle.age is complete; SealedCRC is its CRC-32C.
	Sealed    bool   `json:"sealed,omitempty"`
	SealedCRC uint32 `json:"sealed_crc32c,omitempty"`
	// Released is how many bytes at the start of bundle.age were freed
	// because the server held them; ReleasedCRC was their CRC-32C.
	Released    int64  `json:"released,omitempty"`
	ReleasedCRC uint32 `json:"released_crc32c,omitempty"`
	// PhraseUnshown is true from the state's first save until the new
	// receipt phrase it was saved for has been shown (and written to
	// --receipt-out). A run that died in between (power lost, killed)
	// made a phrase no one saw: the next run starts afresh instead of
	// sending the submission under it. States saved before this field
	// existed read as shown, as they were.
	PhraseUnshown bool `json:"phrase_unshown,omitempty"`
	// Vanished is true once the server no longer knew the upload of an
	// earlier run (404, not 410: an upload the server says has expired
	// never completed): if it then holds the submission, that upload had
	// completed. Expired is true once the server said that upload had
	// expired (410): if it then holds the submission id, the expired
	// upload holds it, and nothing was sent. Both are saved with the
	// upload's URL cleared and the new creation key, so that a run whose
	// new creation's answer was lost asks again with that key, and both
	// go when the new upload is made.
	Vanished bool `json:"vanished,omitempty"`
	Expired  bool `json:"expired,omitempty"`
}

// errTaken is the cause of the error of an upload whose submission id the
// server already holds (a submission, or another upload of it).
var errTaken = errors.New("submission id taken")

// errExpiredHeld is the cause of the error of an upload that expired on
// the server before it was complete, whose submission id the server still
// holds for it.
var errExpiredHeld = errors.New("expired upload still holds the submission id")

// pendingState is an upload's state as saved in its folder, shared by the
// sealer and the uploader, which both record progress in it.
type pendingState struct {
	pd *pending
	mu sync.Mutex
	st uploadState
}

// update changes the state and saves it, making the upload's folder if
// this is the first thing the run keeps (pending.keep).
func (p *pendingState) update(change func(*uploadState)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.pd.keep(); err != nil {
		return err
	}
	change(&p.st)
	return saveState(p.pd.dir, p.st)
}

// newCreationKey gives the state a new creation key, saved before the
// creation is sent when the run keeps its folder already (submit, refer):
// a run cut off before the answer then asks again with it. Otherwise
// (relay, courier push) it is saved with the upload's URL, as the rest.
func (p *pendingState) newCreationKey() error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return failf("cannot make a random key: %v", err)
	}
	key := hex.EncodeToString(b[:])
	p.mu.Lock()
	kept := p.pd.lock != nil
	p.mu.Unlock()
	if kept {
		return p.update(func(s *uploadState) { s.CreationKey = key })
	}
	p.mu.Lock()
	p.st.CreationKey = key
	p.mu.Unlock()
	return nil
}

func (p *pendingState) get() uploadState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

const (
	stateFile  = "state.json"
	sealedFile = "bundle.age"
)

// pendingDir returns the folder of the upload that these inputs make.
// content is what the command line gives besides files (refer's form,
// which may come from flags alone): two referrals of the same files for
// two defenders must never share a folder, or the second would resume the
// first one's upload. It goes into the hash only when there is some, so
// the folders of submit and relay keep their names.
func pendingDir(state, server, kind string, inputs []string, content []byte) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "refuge-pending-v1\n%s\n%s\n", server, kind)
	if len(content) > 0 {
		fmt.Fprintf(h, "content %d\n", len(content))
		h.Write(content)
	}
	for _, in := range inputs {
		abs, err := filepath.Abs(in)
		if err != nil {
			return "", err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return "", failf("cannot read %s: %v", in, errors.Unwrap(err))
		}
		fmt.Fprintf(h, "%s\n%d\n%d\n", abs, fi.Size(), fi.ModTime().UnixNano())
	}
	return filepath.Join(state, "pending", hex.EncodeToString(h.Sum(nil))[:32]), nil
}

// loadState reads dir/state.json; ok is false if there is none.
func loadState(dir string) (st uploadState, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, failf("cannot read the saved upload state: %v", err)
	}
	if err := json.Unmarshal(data, &st); err != nil || st.Size <= 0 || st.SubmissionID == "" {
		return st, false, nil // damaged: start over
	}
	return st, true, nil
}

func saveState(dir string, st uploadState) error {
	data, _ := json.MarshalIndent(st, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, stateFile), append(data, '\n')); err != nil {
		return failf("cannot save the upload state: %v", err)
	}
	return nil
}

// upload sends file under st, creating the tus upload if st has none yet
// (and saving its URL, and so st, before the first byte goes out: the
// folder of pd is made then if it is not there), resuming it
// otherwise. An upload that the server no longer knows (404) is created
// again, once: if the server then says the submission id is taken, the
// upload had completed (its last answer was lost on the way) and that is a
// success; otherwise it had expired and been removed, and starts over. An
// upload the server says has expired (410) never completed: it starts
// over too, and if the server still holds the submission id for it (a
// server that frees the id only when it removes expired uploads, hourly),
// the run stops with nothing lost and says to run it again later; it is
// never taken for a success. Either way the state is saved without the
// old URL and with the new creation key before the creation goes.
func (e *env) upload(ctx context.Context, c *client.Client, token string, pd *pending, st *uploadState, file, label string) error {
	f, err := os.Open(file)
	if err != nil {
		return failf("cannot open the bundle: %v", errors.Unwrap(err))
	}
	defer f.Close()
	ps := &pendingState{pd: pd, st: *st}
	var src io.ReaderAt = f
	if st.Released > 0 {
		src = releasedFile{f: f, released: st.Released}
	}
	err = e.uploadFrom(ctx, c, token, ps, src, label)
	*st = ps.get()
	return err
}

// uploadFrom is upload from src, which may still be growing (a spool).
func (e *env) uploadFrom(ctx context.Context, c *client.Client, token string, ps *pendingState, src io.ReaderAt, label string) error {
	st := ps.get()
	vanished, expired := st.Vanished, st.Expired
	for {
		if st.UploadURL == "" {
			if st.CreationKey == "" {
				if err := ps.newCreationKey(); err != nil {
					return err
				}
				st = ps.get()
			}
			meta := client.Metadata{api.MetaKind: st.Kind, api.MetaSubmissionID: st.SubmissionID, api.MetaCreationKey: st.CreationKey}
			if st.Verifier != "" {
				meta[api.MetaVerifier] = st.Verifier
			}
			u, err := c.CreateUpload(ctx, st.Size, meta, token)
			if errors.Is(err, api.ErrConflict) && expired {
				// The id is still held by the expired upload, which never
				// completed: nothing reached the officers, and nothing on
				// this device may go.
				return (&cli.Error{Code: exitNetwork, Cause: errExpiredHeld,
					Msg: "the server let this upload expire before it was complete, and still holds its submission id; nothing was sent to the officers, and nothing is lost"}).
					Hint("run the same command again in an hour or two, once the server has cleared its expired uploads: it sends the submission afresh, under the same receipt phrase")
			}
			if errors.Is(err, api.ErrConflict) && vanished {
				e.out.Infof("the server already holds this submission: the upload had completed")
				return nil
			}
			if errors.Is(err, api.ErrConflict) {
				taken := failf("the server already has a submission with this id; nothing more was sent")
				taken.Cause = errTaken
				if st.Kind == "relay" {
					return taken // relay says what this means for a bundle
				}
				return taken.Hint("an earlier attempt may have reached the server without its answer reaching you; run again with --restart (a new receipt phrase), or wait for that upload to expire")
			}
			if err != nil {
				return netFail("", err)
			}
			st.UploadURL = u
			if err := ps.update(func(s *uploadState) { s.UploadURL, s.Vanished, s.Expired = u, false, false }); err != nil {
				return err
			}
			if ps.get().Released > 0 {
				// A new upload starts at byte 0, which this device freed
				// (the spool records its releases in ps as it makes them).
				return releasedFail()
			}
		}
		p := progress.StartUpload(e.stderr, prog, label, st.Size)
		err := c.UploadSending(ctx, st.UploadURL, token, src, st.Size, &p.N, &p.Sending)
		p.Finish()
		if err == nil {
			return nil
		}
		// Started over once at most, and saved before the new creation
		// goes (see Vanished).
		if !vanished && !expired && (errors.Is(err, api.ErrNotFound) || errors.Is(err, api.ErrGone)) {
			vanished, expired = errors.Is(err, api.ErrNotFound), errors.Is(err, api.ErrGone)
			if expired {
				e.out.Infof("the server let this upload expire before it was complete: sending it again from the start")
			}
			if err := ps.update(func(s *uploadState) {
				s.UploadURL, s.CreationKey, s.Vanished, s.Expired = "", "", vanished, expired
			}); err != nil {
				return err
			}
			st = ps.get()
			continue
		}
		if errors.Is(err, errReleased) {
			return releasedFail()
		}
		return netFail("", err)
	}
}

// releasedFail is the end of an upload that must start again from bytes
// this device freed once the server held them: the server lost the
// upload. The same command, run again, seals the files again under the
// receipt phrase already shown (sealedUpload), so it exits as a network
// failure does.
func releasedFail() error {
	return (&cli.Error{Code: exitNetwork, Cause: errReleased,
		Msg: "the server no longer has the part of this upload it had acknowledged"}).
		Hint("run the same command again: it seals the files again, under the same receipt phrase, and sends them from the start")
}

// fileSize returns the size of name.
func fileSize(name string) (int64, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
