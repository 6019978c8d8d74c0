package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"refuge/internal/lowerhex"
	"refuge/internal/uploaders"
	"refuge/server/api"
)

// maxManifest bounds the manifest and signature the client reads (the
// manifest format allows at most 64 KiB).
const maxManifest = 64 << 10

// Manifest fetches the signed key manifest and its detached minisign
// signature, unverified: the caller verifies them against its pinned root
// key (crypto/manifest) before trusting a byte.
func (c *Client) Manifest(ctx context.Context) (manifest, signature []byte, err error) {
	if manifest, err = c.getBytes(ctx, api.PathManifest, "", maxManifest); err != nil {
		return nil, nil, fmt.Errorf("fetching the officers' keys (the key manifest): %w", err)
	}
	if signature, err = c.getBytes(ctx, api.PathManifestSig, "", 4<<10); err != nil {
		return nil, nil, fmt.Errorf("fetching the signature of the officers' keys: %w", err)
	}
	return manifest, signature, nil
}

// PutManifest publishes a new signed manifest (courier token). The
// server checks it against its root key and refuses an older version.
func (c *Client) PutManifest(ctx context.Context, token string, manifest, signature []byte) (uint64, error) {
	var info api.ManifestInfo
	err := c.doJSON(ctx, http.MethodPut, api.PathManifest, token,
		api.ManifestPut{Manifest: string(manifest), Signature: string(signature)}, &info)
	if err != nil {
		return 0, fmt.Errorf("publishing the manifest: %w", err)
	}
	return info.Version, nil
}

// getBytes GETs a small body (at most limit bytes) with retries.
func (c *Client) getBytes(ctx context.Context, ref, token string, limit int64) ([]byte, error) {
	var out []byte
	err := c.retry(ctx, func() error {
		try, cancel := c.answerContext(ctx)
		defer cancel()
		req, err := c.newRequest(try, http.MethodGet, ref, nil, token)
		if err != nil {
			return permanent(err)
		}
		resp, err := c.send(req)
		if slow := c.tooSlow(ctx, try); err != nil && slow != nil {
			return slow
		}
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.ContentLength > limit {
			return permanent(errors.New("the server's answer is larger than allowed"))
		}
		out, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
		if slow := c.tooSlow(ctx, try); err != nil && slow != nil {
			return slow
		}
		if err != nil {
			return &netError{err: err}
		}
		if int64(len(out)) > limit {
			return permanent(errors.New("the server's answer is larger than allowed"))
		}
		return nil
	})
	return out, err
}

func submissionPath(id, rest string) string { return api.PathSubmissions + "/" + id + rest }

// Status returns a submission's state as its submitter sees it; token is
// the phrase-derived access token (64 hex characters).
func (c *Client) Status(ctx context.Context, submissionID, token string) (api.Status, error) {
	var st api.Status
	if err := c.getJSON(ctx, submissionPath(submissionID, "/status"), token, &st); err != nil {
		return st, fmt.Errorf("asking for the submission's status: %w", err)
	}
	if err := checkStatus(st); err != nil {
		return st, fmt.Errorf("asking for the submission's status: %w", err)
	}
	return st, nil
}

// checkStatus refuses a status that the client could not print as it is,
// or whose replies it could not save (checkReplies).
func checkStatus(st api.Status) error {
	if err := checkReplies(st.Replies); err != nil {
		return err
	}
	if !validState(st.Status) || !validDay(st.Received) {
		return permanent(errors.New("the server answered with a malformed status (a state or day that no refuge-server gives)"))
	}
	return nil
}

// validState reports whether s can be a submission's state: a short
// lowercase word (received, collected, replied, deleted, or one a later
// server adds). The client prints it, so it must hold nothing a terminal
// would act on (escape sequences from a hostile server).
func validState(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Replies lists the officers' replies to a submission (submitter token).
func (c *Client) Replies(ctx context.Context, submissionID, token string) ([]api.Reply, error) {
	var rl api.ReplyList
	if err := c.getJSON(ctx, submissionPath(submissionID, "/replies"), token, &rl); err != nil {
		return nil, fmt.Errorf("listing replies: %w", err)
	}
	if err := checkReplies(rl.Replies); err != nil {
		return nil, fmt.Errorf("listing replies: %w", err)
	}
	return rl.Replies, nil
}

// checkReplies refuses a reply list that a hostile server could turn
// against the client: a reply's id names the file and the folder it is
// saved in and goes into a URL path, so it must be what the server hands
// out (32 lowercase hex characters), never a path; its size and SHA-256
// bound and check the download.
func checkReplies(rs []api.Reply) error {
	if len(rs) > api.MaxReplies {
		return permanent(fmt.Errorf("the server listed %d replies, more than the %d a refuge-server keeps for one submission; nothing was saved", len(rs), api.MaxReplies))
	}
	seen := make(map[string]bool, len(rs))
	for _, r := range rs {
		if err := checkReply(r); err != nil {
			return err
		}
		if seen[r.ID] {
			return permanent(errDuplicate("reply", r.ID))
		}
		seen[r.ID] = true
	}
	return nil
}

// errDuplicate is the error for a list that names the same id twice,
// which no refuge-server sends: which of the two hashes or sizes would be
// the true one?
func errDuplicate(what, id string) error {
	return fmt.Errorf("the server listed the same %s (%s) twice, which no refuge-server does; nothing was saved", what, id)
}

func checkReply(r api.Reply) error {
	if !lowerhex.ID(r.ID) || r.Size < 0 || !lowerhex.Valid(r.SHA256, 64) || !validDay(r.Created) {
		return permanent(errors.New("the server listed a malformed reply (an id, size, hash or day that no refuge-server gives); nothing was saved"))
	}
	if r.Size > api.MaxReplySize {
		return permanent(fmt.Errorf("the server listed a reply of %d bytes, larger than the %d a refuge-server accepts; nothing was saved", r.Size, api.MaxReplySize))
	}
	return nil
}

// DownloadReply saves one reply (an age file) to path, resuming and
// checking its SHA-256 (see Download).
func (c *Client) DownloadReply(ctx context.Context, submissionID, token string, r api.Reply, path string) error {
	if err := checkReply(r); err != nil {
		return err
	}
	return c.Download(ctx, submissionPath(submissionID, "/replies/"+r.ID), token, path, r.Size, r.SHA256, nil)
}

// TokenRole asks the server what a partner or courier token may do:
// "partner" or "courier". A wrong, unknown or revoked token is an error
// that matches api.ErrUnauthorized. A server from before this question
// existed answers 404; TokenRole then returns "" and no error, and the
// caller learns only later, from the request that needs the token.
func (c *Client) TokenRole(ctx context.Context, token string) (string, error) {
	var info api.TokenInfo
	err := c.getJSON(ctx, api.PathToken, token, &info)
	if errors.Is(err, api.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("checking the token: %w", err)
	}
	switch info.Role {
	case "partner", "courier":
		return info.Role, nil
	}
	return "", permanent(errors.New("checking the token: the server's answer names no role this program knows"))
}

// maxListed bounds the submissions a courier's list may hold (some
// hundreds of bytes in memory each): a hostile server could otherwise
// send pages forever. It matches maxEvents.
var maxListed = 200_000

// Submissions lists the submissions that are not yet deleted (courier),
// the oldest day first, reading the server's list a page at a time.
func (c *Client) Submissions(ctx context.Context, token string) ([]api.Submission, error) {
	var all []api.Submission
	seen := map[string]bool{}
	after := ""
	for {
		ref := api.PathSubmissions
		if after != "" {
			ref += "?after=" + after
		}
		var l api.SubmissionList
		if err := c.getJSON(ctx, ref, token, &l); err != nil {
			return nil, fmt.Errorf("listing submissions: %w", err)
		}
		if err := checkPage(l, after, len(all)); err != nil {
			return nil, fmt.Errorf("listing submissions: %w", permanent(err))
		}
		for _, s := range l.Submissions {
			if err := checkSubmission(s); err != nil {
				return nil, fmt.Errorf("listing submissions: %w", err)
			}
			if seen[s.ID] {
				return nil, fmt.Errorf("listing submissions: %w", permanent(errDuplicate("submission", s.ID)))
			}
			seen[s.ID] = true
		}
		all = append(all, l.Submissions...)
		if !l.More {
			break
		}
		after = l.Submissions[len(l.Submissions)-1].ID
	}
	slices.SortStableFunc(all, func(a, b api.Submission) int { return strings.Compare(a.Received, b.Received) })
	return all, nil
}

// checkPage refuses a page of the courier's list that no refuge-server
// sends: longer than a page may be, more promised after an empty page or
// after a last ID that does not sort after the page's after (the list
// would never end), or past maxListed with the pages before (listed).
func checkPage(l api.SubmissionList, after string, listed int) error {
	n := len(l.Submissions)
	switch {
	case n > api.MaxSubmissionsPage:
		return fmt.Errorf("the server listed %d submissions in one page; a refuge-server lists at most %d", n, api.MaxSubmissionsPage)
	case listed+n > maxListed:
		return fmt.Errorf("the server lists more than %d submissions, far more than a drop-box holds unless it is flooded; refusing to read more (ask its operator)", maxListed)
	case l.More && n == 0:
		return errors.New("the server promised more submissions after an empty page, which no refuge-server does")
	case l.More && l.Submissions[n-1].ID <= after:
		return errors.New("the server's pages of submissions go back instead of forward, which no refuge-server does")
	}
	return nil
}

// checkSubmission refuses a listed submission that a hostile server could
// turn against the courier: its id names the file it is saved as, its
// hash goes into SHA256SUMS, which the officers check the inbox with, its
// size bounds the download; none of its words may hold what a terminal
// acts on.
func checkSubmission(s api.Submission) error {
	if !lowerhex.ID(s.ID) || s.Size < 0 || !lowerhex.Valid(s.SHA256, 64) || !validState(s.Kind) ||
		!validState(s.Status) || !validDay(s.Received) || !validName(s.Partner) {
		return permanent(errors.New("the server listed a malformed submission (an id, size, hash, word or day that no refuge-server gives); nothing was saved"))
	}
	return checkReplies(s.Replies)
}

// validName reports whether s can be a partner's name as the server keeps
// it: empty (anonymous), or the rule of package uploaders, which writes it
// onto the courier's stick.
func validName(s string) bool { return s == "" || uploaders.ValidName(s) }

// DownloadCiphertext saves a submission's ciphertext to path (courier),
// resuming with Range and checking its SHA-256 (see Download). The server
// marks the submission collected.
func (c *Client) DownloadCiphertext(ctx context.Context, token string, s api.Submission, path string, progress *atomic.Int64) error {
	return c.Download(ctx, submissionPath(s.ID, "/ciphertext"), token, path, s.Size, s.SHA256, progress)
}

// PostAck sends an officers' signed acknowledgement (courier); on success
// the server has deleted the acknowledged ciphertext.
func (c *Client) PostAck(ctx context.Context, token string, statement, signature []byte) (api.AckResult, error) {
	var res api.AckResult
	err := c.doJSON(ctx, http.MethodPost, api.PathAcks, token,
		api.AckPost{Statement: string(statement), Signature: string(signature)}, &res)
	if err != nil {
		return res, fmt.Errorf("posting the acknowledgement: %w", err)
	}
	if err := checkAckResult(res); err != nil {
		return api.AckResult{}, fmt.Errorf("posting the acknowledgement: %w", err)
	}
	return res, nil
}

// checkAckResult refuses an acknowledgement's answer whose submission id
// the courier could not print as it is.
func checkAckResult(res api.AckResult) error {
	if !lowerhex.ID(res.SubmissionID) {
		return permanent(errors.New("the server answered with a malformed result (a submission id that no refuge-server gives)"))
	}
	return nil
}

// maxEvents bounds the event log a courier reads (some hundreds of bytes
// in memory each): a hostile server could otherwise send pages forever.
// A million entries is some 200,000 submissions.
var maxEvents = 1 << 20

// Events returns the event log from seq on, following the server's pages
// until it has everything (courier), at most maxEvents entries. The caller
// verifies the chain.
func (c *Client) Events(ctx context.Context, token string, from uint64) ([]api.Event, error) {
	var all []api.Event
	for {
		var l api.EventList
		if err := c.getJSON(ctx, api.PathEvents+"?from="+strconv.FormatUint(from, 10), token, &l); err != nil {
			return nil, fmt.Errorf("fetching the event log: %w", err)
		}
		if len(all)+len(l.Events) > maxEvents {
			return nil, permanent(fmt.Errorf("fetching the event log: the server sends more than %d entries, far more than it can have written (about 5 per submission); refusing to read more", maxEvents))
		}
		all = append(all, l.Events...)
		if len(l.Events) == 0 || l.Next <= from {
			return all, nil
		}
		from = l.Next
	}
}
