package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// Download fetches ref into the file path, resuming a partial download:
// the bytes go to path+".part", which is extended with a Range request
// after a cut or a restart; when size bytes are there and their SHA-256
// equals wantSHA256 (hex), the file is fsynced and renamed to path. A
// mismatch removes the part file and is an error, so nothing unverified
// is ever left under the final name. progress, if not nil, holds the
// bytes on disk so far.
func (c *Client) Download(ctx context.Context, ref, token, path string, size int64, wantSHA256 string, progress *atomic.Int64) error {
	if progress == nil {
		progress = new(atomic.Int64)
	}
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening the download file: %w", err)
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("reading the download file: %w", err)
	}
	if have > size {
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("resetting the download file: %w", err)
		}
		have = 0
	}
	storeMax(progress, have)
	failures := 0
	for have < size {
		pos, err := c.getRange(ctx, ref, token, f, have, size, progress)
		// Only a gain of 64 KiB, half of what was asked for or the rest
		// counts as progress (see gained): a server that sends a byte or
		// two per answer and ends it would otherwise keep the client
		// asking for ever.
		grew, gain := gained(have, pos, size-have, size), pos-have
		have = pos
		if err == nil && grew {
			continue
		}
		if err == nil {
			// An answer that ends before the file does is a cut
			// connection, not the end of the file: asking again at once
			// would loop.
			err = &netError{err: io.ErrUnexpectedEOF}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if grew {
			failures = 0
		}
		if !transient(err) {
			return fmt.Errorf("downloading: %w", unwrapPermanent(err))
		}
		if failures++; failures >= c.opts.Retry.Attempts && gain > 0 && !grew {
			return fmt.Errorf("downloading: giving up after %d answers in a row that each brought only a few bytes (%d in the last); the server may be overloaded or hostile: %w", failures, gain, err)
		} else if failures >= c.opts.Retry.Attempts {
			return fmt.Errorf("downloading: giving up after %d failures in a row: %w", failures, err)
		}
		if err := c.pause(ctx, failures, err); err != nil {
			return err
		}
		if have, err = f.Seek(0, io.SeekEnd); err != nil {
			return fmt.Errorf("reading the download file: %w", err)
		}
	}
	if err := verifyFile(f, wantSHA256); err != nil {
		f.Close()
		os.Remove(part)
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("saving the download: %w", err)
	}
	if err := os.Rename(part, path); err != nil {
		return fmt.Errorf("saving the download: %w", err)
	}
	return nil
}

// getRange appends the bytes from offset on to f and returns the length
// of f after it, never past size: a body that goes on past it is an error
// (a hostile server could otherwise fill the disk before the hash check).
// A server that ignores Range (200) makes it start over. The answer's
// body is cut if it stalls (Options.IdleTimeout); a download has no
// bound on its whole time.
func (c *Client) getRange(ctx context.Context, ref, token string, f *os.File, offset, size int64, progress *atomic.Int64) (int64, error) {
	req, err := c.newRequest(ctx, http.MethodGet, ref, nil, token)
	if err != nil {
		return offset, permanent(err)
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := c.send(req)
	if err != nil {
		return offset, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent:
		if !strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes "+strconv.FormatInt(offset, 10)+"-") {
			return offset, permanent(errors.New("the server answered another range than asked"))
		}
	case offset > 0:
		// The whole file again: start over.
		if err := f.Truncate(0); err != nil {
			return offset, permanent(err)
		}
		offset = 0
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset, permanent(err)
	}
	w := &progressWriter{w: f, pos: offset, end: size, progress: progress}
	_, err = io.Copy(w, resp.Body)
	if errors.Is(err, errPastSize) {
		return w.pos, permanent(err)
	}
	if err != nil {
		return w.pos, &netError{err: err}
	}
	return w.pos, nil
}

// storeMax raises p to v if v is larger: progress shown to a person only
// ever moves forward, even when a download starts over or an upload
// resumes from an earlier offset.
func storeMax(p *atomic.Int64, v int64) {
	for {
		old := p.Load()
		if v <= old || p.CompareAndSwap(old, v) {
			return
		}
	}
}

var errPastSize = errors.New("the server sent more bytes than the size it listed; the download was stopped")

// progressWriter writes to the download file and counts in progress the
// bytes written (never more than the largest position reached).
type progressWriter struct {
	w        io.Writer
	pos      int64
	end      int64 // the listed size: nothing is written past it
	progress *atomic.Int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	past := false
	if room := p.end - p.pos; int64(len(b)) > room {
		b, past = b[:max(room, 0)], true
	}
	n, err := p.w.Write(b)
	p.pos += int64(n)
	storeMax(p.progress, p.pos)
	if err == nil && past {
		err = errPastSize
	}
	return n, err
}

// verifyFile compares the SHA-256 of the whole file with want (hex).
func verifyFile(f *os.File, want string) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("checking the download: %w", err)
	}
	if hex.EncodeToString(h.Sum(nil)) != strings.ToLower(want) {
		return errors.New("the downloaded file does not match the SHA-256 the server listed; it was removed")
	}
	return nil
}
