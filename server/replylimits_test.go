package server_test

import (
	"context"
	"strconv"
	"testing"

	"filippo.io/age"

	"refuge/server/api"
)

// TestReplyLimits: a reply's upload was bounded only by the server's
// largest upload (64 GiB), and a submission took any number of replies,
// so a defender reading replies had no bound a client could hold a
// server to. Now a reply upload longer than api.MaxReplySize is refused
// at creation (413), as is a reply to a submission that already has the
// most replies the server keeps (422, here lowered to 2); one of exactly
// api.MaxReplySize is created.
func TestReplyLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *serverConfig) { c.MaxReplies = 2 })
	sub := newSubmitter()
	e.submit(sub, e.bundle(4<<10))
	md := meta(api.MetaKind, "reply", api.MetaSubmissionID, sub.id)
	createStatus := func(length int64) int {
		t.Helper()
		h := tusHdr("Upload-Length", strconv.FormatInt(length, 10), "Upload-Metadata", md, "Authorization", "Bearer "+e.courier)
		resp, _ := e.do("POST", "/v1/uploads", nil, h)
		return resp.StatusCode
	}
	if got := createStatus(api.MaxReplySize + 1); got != 413 {
		t.Fatalf("a reply of %d bytes: %d, want 413", api.MaxReplySize+1, got)
	}
	if got := createStatus(api.MaxReplySize); got != 201 {
		t.Fatalf("a reply of %d bytes: %d, want 201", api.MaxReplySize, got)
	}
	replyID, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		reply := sealed(t, 1000, replyID.Recipient())
		loc := e.create(len(reply), md, e.courier)
		if resp, b := e.patch(loc, 0, reply); resp.StatusCode != 204 {
			t.Fatalf("reply %d: %d %s", i+1, resp.StatusCode, b)
		}
	}
	if got := createStatus(1000); got != 422 {
		t.Fatalf("a third reply where 2 are the most: %d, want 422", got)
	}
	if s, err := e.st.Submission(context.Background(), sub.id); err != nil || len(s.Replies) != 2 {
		t.Fatalf("the submission: %d replies, %v; want 2", len(s.Replies), err)
	}
}
