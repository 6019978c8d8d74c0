package client

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"refuge/server/api"
)

// tusVersion is the only tus protocol version the client speaks.
const tusVersion = "1.0.0"

const (
	minChunk     = 64 << 10
	maxChunk     = 128 << 20
	defaultChunk = 256 << 10 // see Options.ChunkSize
)

// Metadata is the tus Upload-Metadata of a new upload. Only the keys the
// server documents belong here (api.MetaKind, api.MetaSubmissionID,
// api.MetaVerifier); never a file name.
type Metadata map[string]string

// encode renders the header: "key base64(value)" pairs, sorted, joined by
// commas.
func (m Metadata) encode() string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(m[k])))
	}
	return strings.Join(parts, ",")
}

// CreateUpload starts a tus upload of length bytes and returns its URL.
// token is a partner's or courier's bearer token, or "" for an anonymous
// submission. Without a creation key in meta (api.MetaCreationKey), the
// request is not retried after a network failure that may have reached
// the server (a retry could create a second upload); the caller starts
// over. With one, it is: the server answers the same creation again with
// the same upload.
func (c *Client) CreateUpload(ctx context.Context, length int64, meta Metadata, token string) (string, error) {
	if length < 0 {
		return "", errors.New("upload length must not be negative")
	}
	var loc string
	err := c.retry(ctx, func() error {
		req, err := c.newRequest(ctx, http.MethodPost, api.PathUploads, nil, token)
		if err != nil {
			return permanent(err)
		}
		req.Header.Set("Tus-Resumable", tusVersion)
		req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
		if len(meta) > 0 {
			req.Header.Set("Upload-Metadata", meta.encode())
		}
		resp, err := c.send(req)
		if err != nil {
			var ne *netError
			if errors.As(err, &ne) && !dialFailure(err) && meta[api.MetaCreationKey] == "" {
				return permanent(err)
			}
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return permanent(fmt.Errorf("creating the upload: the server answered %d, not 201", resp.StatusCode))
		}
		if err := checkTus(resp); err != nil {
			return err
		}
		if resp.Header.Get("Location") == "" {
			return permanent(errors.New("the server gave no usable Location (none at all)"))
		}
		if loc, err = c.url(resp.Header.Get("Location")); err != nil {
			return permanent(fmt.Errorf("the server gave no usable Location: %w", err))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("creating the upload: %w", err)
	}
	return loc, nil
}

// errOffsetBack is the error for a server that reports holding fewer
// bytes than it already acknowledged: a refuge-server acknowledges a
// chunk only once it is on disk, so it lost them or lies. Sending them
// again could go on for ever.
func errOffsetBack(got, acked int64) error {
	return fmt.Errorf("the server now says it holds %d bytes of the upload, fewer than the %d it already acknowledged; it lost part of the upload or is not telling the truth (run the command again to resume from what it holds)", got, acked)
}

// dialFailure reports whether a network error happened before the request
// could have reached the server (so sending it again is safe).
func dialFailure(err error) bool {
	var ne *netError
	if !errors.As(err, &ne) {
		return false
	}
	s := ne.err.Error()
	return strings.Contains(s, "dial") || strings.Contains(s, "proxyconnect") || strings.Contains(s, "socks connect")
}

// UploadOffset asks the server (tus HEAD) how many bytes of the upload it
// holds and the upload's declared length.
func (c *Client) UploadOffset(ctx context.Context, uploadURL, token string) (offset, length int64, err error) {
	err = c.retry(ctx, func() error {
		req, err := c.newRequest(ctx, http.MethodHead, uploadURL, nil, token)
		if err != nil {
			return permanent(err)
		}
		req.Header.Set("Tus-Resumable", tusVersion)
		resp, err := c.send(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if err := checkTus(resp); err != nil {
			return err
		}
		offset, err = headerInt(resp, "Upload-Offset")
		if err != nil {
			return permanent(err)
		}
		length, err = headerInt(resp, "Upload-Length")
		if err != nil {
			return permanent(err)
		}
		if offset > length {
			return permanent(errors.New("the server reports an offset past the upload's length"))
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("asking the server for the upload's offset: %w", err)
	}
	return offset, length, nil
}

// checkTus refuses a tus answer without the Tus-Resumable header that a
// refuge-server puts on every one: something else answers there (a
// proxy's or a Wi-Fi login page's 200), and its other headers mean
// nothing. The error is final.
func checkTus(resp *http.Response) error {
	if resp.Header.Get("Tus-Resumable") != tusVersion {
		return permanent(errors.New("the server's answer is not a tus answer of a refuge-server (no Tus-Resumable: 1.0.0 header): something else answers at this address"))
	}
	return nil
}

func headerInt(resp *http.Response, name string) (int64, error) {
	v, err := strconv.ParseInt(resp.Header.Get(name), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("the server sent no valid %s header", name)
	}
	return v, nil
}

// TerminateUpload deletes an unfinished upload (tus termination).
func (c *Client) TerminateUpload(ctx context.Context, uploadURL, token string) error {
	return c.retry(ctx, func() error {
		req, err := c.newRequest(ctx, http.MethodDelete, uploadURL, nil, token)
		if err != nil {
			return permanent(err)
		}
		req.Header.Set("Tus-Resumable", tusVersion)
		resp, err := c.send(req)
		if se := (*statusError)(nil); errors.As(err, &se) && se.status == http.StatusConflict {
			// Another request holds the upload: most often one of this
			// device's, cut off or stopped with Ctrl-C, that the server
			// is still reading. It ends when that request does.
			se.busy = true
		}
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

// Upload sends src (size bytes) to an upload created with CreateUpload,
// starting from the offset the server reports, in PATCH requests that
// start at the client's chunk size, each with an Upload-Checksum (crc32c).
// Chunks grow while they go through in under 2 s (fourfold under 0.25 s,
// up to 128 MiB) and shrink when they take over 20 s.
//
// After a network error, a 5xx or a 429 it waits (back-off, Retry-After),
// asks the server for its offset and goes on from there, halving the
// chunk size so that a link that breaks every few MiB still makes
// progress. A 409 (offset mismatch) is answered by asking for the offset
// again. Any other 4xx is final. If progress is not nil, it holds the
// number of bytes the server has acknowledged so far (read it from
// another goroutine): bytes on the wire but not yet acknowledged are not
// counted, and it never moves back. A server that later reports fewer
// bytes than it acknowledged (it lost them, or lies) is a final error.
func (c *Client) Upload(ctx context.Context, uploadURL, token string, src io.ReaderAt, size int64, progress *atomic.Int64) error {
	return c.UploadSending(ctx, uploadURL, token, src, size, progress, nil)
}

// UploadSending is Upload that also keeps, in sending if it is not nil,
// the bytes of the chunk on its way: handed to the connection but not yet
// acknowledged (0 between chunks). They are never in progress: a person
// on a slow link sees that bytes go out while none is confirmed yet,
// without being told they arrived.
func (c *Client) UploadSending(ctx context.Context, uploadURL, token string, src io.ReaderAt, size int64, progress, sending *atomic.Int64) error {
	if progress == nil {
		progress = new(atomic.Int64)
	}
	if sending == nil {
		sending = new(atomic.Int64)
	}
	defer sending.Store(0)
	offset, length, err := c.UploadOffset(ctx, uploadURL, token)
	if err != nil {
		return err
	}
	if length != size {
		return errors.New("the upload on the server has another length than the file")
	}
	storeMax(progress, offset)
	acked := offset // the most the server has said it holds
	chunk, failures, wins := c.opts.ChunkSize, 0, 0
	// A source that knows its checksums is not read twice. Its sums are
	// never replaced by hashing the chunk again after a 460: one taken
	// while sealing that the bytes no longer match means they changed on
	// this device, and sending them on would store the damage.
	known, _ := src.(CRC32CSource)
	var ahead *chunkSum
	defer func() { ahead.wait() }()
	for offset < size {
		n := min(chunk, size-offset)
		var sum []byte
		if known != nil {
			if crc, ok := known.CRC32C(offset, n); ok {
				sum = binary.BigEndian.AppendUint32(nil, crc)
			}
		}
		if sum == nil {
			if sum, err = ahead.take(src, offset, n); err != nil {
				return err
			}
		}
		// Hash the next chunk while this one is on the wire and the server
		// writes and fsyncs it: hashing then costs no time on a fast link.
		if rest := size - offset - n; rest > 0 && known == nil {
			ahead = startSum(src, offset+n, min(chunk, rest), min(chunk/2, rest))
		}
		start := time.Now()
		next, err := c.patch(ctx, uploadURL, token, src, offset, n, sum, sending)
		if err == nil {
			whole, from := next == offset+n, offset
			offset = next
			acked = max(acked, offset)
			storeMax(progress, offset)
			sending.Store(0)
			if r, ok := src.(ReleasingSource); ok {
				r.Release(offset)
			}
			if whole || gained(from, next, n, size) {
				failures = 0
			} else if failures++; failures >= c.opts.Retry.Attempts {
				// A refuge-server acknowledges a whole chunk or answers an
				// error; one that keeps acknowledging a few bytes of each
				// could keep the client sending for ever.
				return fmt.Errorf("uploading: giving up after %d requests in a row of which the server acknowledged only a few bytes each (%d of %d in the last); it may be overloaded or hostile (run the command again to resume from what it holds)", failures, next-from, n)
			}
			if !whole {
				wins = 0
			} else if wins++; wins >= 2 {
				chunk = nextChunk(chunk, n, time.Since(start))
			}
			continue
		}
		wins = 0
		sending.Store(0)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var se *statusError
		conflict := errors.As(err, &se) && se.status == http.StatusConflict
		checksum := errors.Is(err, api.ErrChecksum)
		if !conflict && !checksum && !transient(err) {
			return fmt.Errorf("uploading: %w", unwrapPermanent(err))
		}
		if !conflict && !errors.Is(err, api.ErrRateLimited) && chunk > minChunk {
			// A broken chunk: smaller ones get through a link that breaks
			// every few MiB. Shrinking is progress of a kind, so it does
			// not count towards giving up (it is bounded: 128 MiB to
			// 64 KiB is 11 halvings). Rate limiting or a conflict is no
			// reason to shrink.
			chunk = max(chunk/2, minChunk)
		} else if failures++; failures >= c.opts.Retry.Attempts {
			return fmt.Errorf("uploading: giving up after %d failures in a row: %w", failures, err)
		}
		// Also after a conflict: the server may still be writing the
		// request that the cut interrupted.
		if err := c.pause(ctx, failures, err); err != nil {
			return err
		}
		got, _, err := c.UploadOffset(ctx, uploadURL, token)
		if err != nil {
			return err
		}
		if got < acked {
			return fmt.Errorf("uploading: %w", errOffsetBack(got, acked))
		}
		if gained(offset, got, n, size) {
			failures = 0 // the server kept part of the chunk: progress
		}
		offset, acked = got, max(acked, got)
		storeMax(progress, offset)
	}
	return nil
}

// gained reports whether moving from offset to next, in a try that asked
// for tried bytes (of size in all), is progress enough to start counting
// failures afresh: at least minChunk, half of what was tried, or the rest
// of the transfer. A hostile server that keeps a byte or two per try
// would otherwise keep the client trying for ever; any gain that counts
// is at least half a try's bytes or 64 KiB, so a transfer ends. A link
// that carries less than that between cuts gives up after the retry
// policy's Attempts tries, and running the command again resumes.
func gained(offset, next, tried, size int64) bool {
	g := next - offset
	return g > 0 && (g >= minChunk || 2*g >= tried || next >= size)
}

// nextChunk adapts the chunk size after a chunk of n bytes went through
// in d: a fast link gets bigger chunks (fewer requests, fewer fsyncs on
// the server, and the server's per-upload request rate is no limit), a
// slow one smaller ones, so that a cut costs at most a few seconds of
// work. A chunk that took under an eighth of chunkFast is quadrupled: the
// small first chunk (for a slow link's sake) costs a fast link only a
// request or two more than starting large would.
func nextChunk(chunk, n int64, d time.Duration) int64 {
	switch {
	case n < chunk: // the last, short chunk says nothing
		return chunk
	case d < chunkFast/8:
		return min(chunk*4, maxChunk)
	case d < chunkFast:
		return min(chunk*2, maxChunk)
	case d > chunkSlow:
		return max(chunk/2, minChunk)
	}
	return chunk
}

// The time a chunk should take: below chunkFast the chunk grows, above
// chunkSlow it shrinks.
const (
	chunkFast = 2 * time.Second
	chunkSlow = 20 * time.Second
)

// patch sends src[offset:offset+n] and returns the server's new offset.
// sum is the chunk's checksum.
func (c *Client) patch(ctx context.Context, uploadURL, token string, src io.ReaderAt, offset, n int64, sum []byte, sending *atomic.Int64) (int64, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stalled atomic.Bool
	body := &watchedReader{src: src, file: fileOf(src), pos: offset, end: offset + n, sent: sending,
		idle: c.opts.IdleTimeout, timer: time.AfterFunc(c.opts.IdleTimeout, func() { stalled.Store(true); cancel() })}
	defer body.timer.Stop()
	req, err := c.newRequest(ctx, http.MethodPatch, uploadURL, body, token)
	if err != nil {
		return 0, permanent(err)
	}
	req.ContentLength = n
	req.Header.Set("Tus-Resumable", tusVersion)
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	req.Header.Set("Upload-Checksum", chunkAlgorithm+" "+base64.StdEncoding.EncodeToString(sum))
	resp, err := c.send(req)
	if err != nil && parent.Err() == nil {
		switch {
		case body.handed.Load() && (stalled.Load() || TimedOut(err)):
			// The whole chunk was handed over and no answer came: the
			// server stopped taking it, or it still sits in buffers on
			// the way (a proxy such as Tor takes hundreds of KiB at
			// once) on a link too slow to carry it in time.
			d := c.opts.Timeout
			if stalled.Load() {
				d = c.opts.IdleTimeout
			}
			return 0, &netError{err: &stalledError{idle: d, reading: true, unanswered: true}}
		case stalled.Load():
			return 0, &netError{err: &stalledError{idle: c.opts.IdleTimeout, reading: true}}
		}
	}
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := checkTus(resp); err != nil {
		return 0, err
	}
	next, err := headerInt(resp, "Upload-Offset")
	if err != nil {
		// A 2xx without its offset is no passing failure of the network
		// (a cut connection gives no answer at all): saying so beats
		// "connection failed" after every retry.
		return 0, permanent(err)
	}
	if next < offset || next > offset+n {
		return 0, permanent(errors.New("the server reports an impossible offset after a chunk"))
	}
	return next, nil
}

// watchedReader reads src[pos:end] and pushes back the idle timer on
// every read, so a connection that stops moving is cut. It counts no
// progress: bytes read here are not yet acknowledged; it adds them to
// sent (bytes on their way) instead. If src keeps its bytes in a file
// (file is not nil), a plain TCP connection sends them from it with
// sendfile(2) (bulkConn).
type watchedReader struct {
	src      io.ReaderAt
	file     *os.File
	pos, end int64
	sent     *atomic.Int64
	idle     time.Duration
	timer    *time.Timer
	// handed is set once the last byte is handed to the connection.
	handed atomic.Bool
}

func (w *watchedReader) Read(p []byte) (int, error) {
	if w.pos >= w.end {
		return 0, io.EOF
	}
	n, err := w.src.ReadAt(p[:min(int64(len(p)), w.end-w.pos)], w.pos)
	w.advance(n)
	if err == io.EOF && w.pos < w.end {
		err = io.ErrUnexpectedEOF
	} else if err == io.EOF {
		err = nil // ReadAt may give io.EOF with the last bytes
	}
	return n, err
}

// Close does nothing. A body that is an io.ReadCloser reaches the
// connection's ReadFrom as it is (net/http wraps any other reader), which
// bulkConn needs to find the file.
func (w *watchedReader) Close() error { return nil }

// advance records n bytes sent.
func (w *watchedReader) advance(n int) {
	if n > 0 {
		w.timer.Reset(w.idle)
		w.pos += int64(n)
		if w.sent != nil {
			w.sent.Add(int64(n))
		}
		if w.pos >= w.end {
			w.handed.Store(true)
		}
	}
}
