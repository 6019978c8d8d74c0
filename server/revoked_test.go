package server_test

import (
	"context"
	"testing"

	"filippo.io/age"

	"refuge/server/api"
	"refuge/server/store"
)

// TestRevokedPartnerCannotFinishUpload: revoking a partner's token takes
// effect at once (SECURITY.md), but an upload URL is a capability that
// PATCH and HEAD take without a token. Before, a partner whose token was
// revoked (an office known to be compromised) could still finish every
// relay or referral it had created before, for the seven days an upload
// lives, and the server stored each as that partner's. Now PATCH and HEAD
// of a partner's upload are refused once its token is revoked; nothing
// more is stored, and DELETE still works.
func TestRevokedPartnerCannotFinishUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	tok := e.addToken(store.RolePartner, "office")
	sub := newSubmitter()
	body := e.bundle(8 << 10)
	loc := e.create(len(body), meta(api.MetaKind, "relay", api.MetaSubmissionID, sub.id), tok)
	if resp, b := e.patch(loc, 0, body[:1000]); resp.StatusCode != 204 {
		t.Fatalf("first chunk: %d %s", resp.StatusCode, b)
	}
	if err := e.st.RevokeToken(ctx, store.RolePartner, "office"); err != nil {
		t.Fatal(err)
	}
	resp, b := e.patch(loc, 1000, body[1000:])
	if resp.StatusCode != 401 {
		t.Fatalf("last chunk after the partner's token was revoked: %d %s, want 401", resp.StatusCode, b)
	}
	if _, err := e.st.Submission(ctx, sub.id); err == nil {
		t.Fatal("a revoked partner's upload became a submission")
	}
	if resp, _ := e.do("HEAD", loc, nil, tusHdr()); resp.StatusCode != 401 {
		t.Fatalf("HEAD after revocation: %d, want 401", resp.StatusCode)
	}
	if u, err := e.st.Upload(ctx, loc[len("/v1/uploads/"):]); err != nil || u.Offset != 1000 {
		t.Fatalf("upload after the refused chunk: %+v, %v (want offset 1000)", u, err)
	}
	if resp, b := e.do("DELETE", loc, nil, tusHdr()); resp.StatusCode != 204 {
		t.Fatalf("DELETE after revocation: %d %s", resp.StatusCode, b)
	}

	// Another partner's uploads, and anonymous ones, go on as before.
	other := e.addToken(store.RolePartner, "other")
	sub2 := newSubmitter()
	loc2 := e.create(len(body), meta(api.MetaKind, "relay", api.MetaSubmissionID, sub2.id), other)
	if resp, b := e.patch(loc2, 0, body); resp.StatusCode != 204 {
		t.Fatalf("another partner's upload: %d %s", resp.StatusCode, b)
	}
	e.submit(newSubmitter(), body)
}

// TestRevokedCourierCannotFinishReply: the same for a courier. Before, a
// courier whose token was revoked (a machine known to be compromised)
// could still finish a reply it had started, and the defender would read
// it as the officers'. Now PATCH and HEAD of its reply upload are refused
// once its token is revoked; another courier's replies go on.
func TestRevokedCourierCannotFinishReply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	sub := newSubmitter()
	e.submit(sub, e.bundle(4<<10))
	tok := e.addToken(store.RoleCourier, "desk2")
	replyID, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	reply := sealed(t, 5000, replyID.Recipient())
	loc := e.create(len(reply), meta(api.MetaKind, "reply", api.MetaSubmissionID, sub.id), tok)
	if resp, b := e.patch(loc, 0, reply[:1000]); resp.StatusCode != 204 {
		t.Fatalf("first chunk: %d %s", resp.StatusCode, b)
	}
	if err := e.st.RevokeToken(ctx, store.RoleCourier, "desk2"); err != nil {
		t.Fatal(err)
	}
	if resp, b := e.patch(loc, 1000, reply[1000:]); resp.StatusCode != 401 {
		t.Fatalf("last chunk after the courier's token was revoked: %d %s, want 401", resp.StatusCode, b)
	}
	if resp, _ := e.do("HEAD", loc, nil, tusHdr()); resp.StatusCode != 401 {
		t.Fatalf("HEAD after revocation: %d, want 401", resp.StatusCode)
	}
	if s, err := e.st.Submission(ctx, sub.id); err != nil || len(s.Replies) != 0 {
		t.Fatalf("the submission after the refused reply: %+v, %v (want no reply)", s, err)
	}
	if resp, b := e.do("DELETE", loc, nil, tusHdr()); resp.StatusCode != 204 {
		t.Fatalf("DELETE after revocation: %d %s", resp.StatusCode, b)
	}
	// The other courier's reply goes through.
	loc2 := e.create(len(reply), meta(api.MetaKind, "reply", api.MetaSubmissionID, sub.id), e.courier)
	if resp, b := e.patch(loc2, 0, reply); resp.StatusCode != 204 {
		t.Fatalf("another courier's reply: %d %s", resp.StatusCode, b)
	}
}
