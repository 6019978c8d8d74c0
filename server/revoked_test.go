package server_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

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

// newToken gives name a new token of role, with the other token of that
// name revoked: by ReissueToken, or by RevokeToken then AddToken, the two
// ways an operator has. It returns the new token.
func (e *env) newToken(how string, role store.Role, name string) string {
	e.t.Helper()
	ctx := context.Background()
	var b [32]byte
	rand.Read(b[:])
	t := store.Token{Name: name, Role: role, Verifier: sha256.Sum256(b[:])}
	switch how {
	case "reissue":
		if revoked, err := e.st.ReissueToken(ctx, t); err != nil || !revoked {
			e.t.Fatalf("reissue: %v, %v", revoked, err)
		}
	case "revoke then add":
		if err := e.st.RevokeToken(ctx, role, name); err != nil {
			e.t.Fatal(err)
		}
		if err := e.st.AddToken(ctx, t); err != nil {
			e.t.Fatal(err)
		}
	default:
		e.t.Fatalf("newToken %q", how)
	}
	return hex.EncodeToString(b[:])
}

// TestReissuedPartnerTokenCannotFinishOldUpload: an upload is bound to
// the token that created it, not to its partner's name. Before, the
// server asked only whether the partner's name had an active token, so
// once a leaked token was replaced by a new one under the same name,
// whoever held the old token's upload URLs (the thief, who may also have
// created them) could finish them, and each was stored as that partner's.
// Now PATCH and HEAD of them are 401 with the new token active; the old
// token creates nothing; the new one's uploads go through; DELETE of the
// old ones still works.
func TestReissuedPartnerTokenCannotFinishOldUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	body := e.bundle(8 << 10)
	for i, how := range []string{"reissue", "revoke then add"} {
		name := "office-" + strconv.Itoa(i)
		old := e.addToken(store.RolePartner, name)
		sub := newSubmitter()
		loc := e.create(len(body), meta(api.MetaKind, "relay", api.MetaSubmissionID, sub.id), old)
		if resp, b := e.patch(loc, 0, body[:1000]); resp.StatusCode != 204 {
			t.Fatalf("%s: first chunk: %d %s", how, resp.StatusCode, b)
		}
		tok := e.newToken(how, store.RolePartner, name)

		resp, b := e.patch(loc, 1000, body[1000:])
		if resp.StatusCode != 401 || !strings.Contains(apiError(t, b).Message, "the partner token that created this upload was revoked") {
			t.Fatalf("%s: the old token's upload, last chunk: %d %s, want 401", how, resp.StatusCode, b)
		}
		if resp, _ := e.do("HEAD", loc, nil, tusHdr()); resp.StatusCode != 401 {
			t.Fatalf("%s: HEAD of the old token's upload: %d, want 401", how, resp.StatusCode)
		}
		if _, err := e.st.Submission(ctx, sub.id); err == nil {
			t.Fatalf("%s: the old token's upload became a submission", how)
		}
		if u, err := e.st.Upload(ctx, loc[len("/v1/uploads/"):]); err != nil || u.Offset != 1000 {
			t.Fatalf("%s: the old token's upload: %+v, %v (want offset 1000)", how, u, err)
		}
		h := tusHdr("Upload-Length", "1000", "Upload-Metadata", meta(api.MetaKind, "relay", api.MetaSubmissionID, newSubmitter().id), "Authorization", "Bearer "+old)
		if resp, b := e.do("POST", "/v1/uploads", nil, h); resp.StatusCode != 401 {
			t.Fatalf("%s: the old token creates an upload: %d %s", how, resp.StatusCode, b)
		}

		sub2 := newSubmitter()
		loc2 := e.create(len(body), meta(api.MetaKind, "relay", api.MetaSubmissionID, sub2.id), tok)
		if resp, b := e.patch(loc2, 0, body[:1000]); resp.StatusCode != 204 {
			t.Fatalf("%s: the new token's upload: %d %s", how, resp.StatusCode, b)
		}
		if n := e.offset(loc2); n != 1000 {
			t.Fatalf("%s: HEAD of the new token's upload: offset %d", how, n)
		}
		if resp, b := e.patch(loc2, 1000, body[1000:]); resp.StatusCode != 204 {
			t.Fatalf("%s: the new token's upload: %d %s", how, resp.StatusCode, b)
		}
		if s, err := e.st.Submission(ctx, sub2.id); err != nil || s.Partner != name {
			t.Fatalf("%s: the new token's relay: %+v, %v", how, s, err)
		}
		if resp, b := e.do("DELETE", loc, nil, tusHdr()); resp.StatusCode != 204 {
			t.Fatalf("%s: DELETE of the old token's upload: %d %s", how, resp.StatusCode, b)
		}
	}
}

// TestReissuedCourierTokenCannotFinishOldReply: the same for a courier's
// reply: the courier's new token under the same name does not let the old
// token's reply upload go on (a defender would read it as the officers').
func TestReissuedCourierTokenCannotFinishOldReply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	sub := newSubmitter()
	e.submit(sub, e.bundle(4<<10))
	replyID, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	reply := sealed(t, 5000, replyID.Recipient())
	old := e.addToken(store.RoleCourier, "desk2")
	loc := e.create(len(reply), meta(api.MetaKind, "reply", api.MetaSubmissionID, sub.id), old)
	if resp, b := e.patch(loc, 0, reply[:1000]); resp.StatusCode != 204 {
		t.Fatalf("first chunk: %d %s", resp.StatusCode, b)
	}
	tok := e.newToken("reissue", store.RoleCourier, "desk2")
	if resp, b := e.patch(loc, 1000, reply[1000:]); resp.StatusCode != 401 {
		t.Fatalf("the old token's reply, last chunk: %d %s, want 401", resp.StatusCode, b)
	}
	if resp, _ := e.do("HEAD", loc, nil, tusHdr()); resp.StatusCode != 401 {
		t.Fatalf("HEAD of the old token's reply: %d, want 401", resp.StatusCode)
	}
	if s, err := e.st.Submission(ctx, sub.id); err != nil || len(s.Replies) != 0 {
		t.Fatalf("the submission after the refused reply: %+v, %v (want no reply)", s, err)
	}
	loc2 := e.create(len(reply), meta(api.MetaKind, "reply", api.MetaSubmissionID, sub.id), tok)
	if resp, b := e.patch(loc2, 0, reply); resp.StatusCode != 204 {
		t.Fatalf("the new token's reply: %d %s", resp.StatusCode, b)
	}
	if s, err := e.st.Submission(ctx, sub.id); err != nil || len(s.Replies) != 1 {
		t.Fatalf("the submission after the new token's reply: %+v, %v (want one reply)", s, err)
	}
}

// TestUploadOfAnOlderRecordAfterReissue: an upload recorded before uploads
// were bound to their token names only its partner or courier. It goes on
// while that name has had one token, active; once the name has a new
// token it stops, since nothing says which token created it.
func TestUploadOfAnOlderRecordAfterReissue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	body := e.bundle(8 << 10)
	sub := newSubmitter()
	var id [16]byte
	rand.Read(id[:])
	u := store.Upload{ID: hex.EncodeToString(id[:]), Length: int64(len(body)), Expires: store.DayOf(time.Now().AddDate(0, 0, 7)),
		Kind: store.KindRelay, SubmissionID: sub.id, Partner: "fld"}
	if err := e.st.CreateUpload(ctx, u); err != nil {
		t.Fatal(err)
	}
	loc := "/v1/uploads/" + u.ID
	if resp, b := e.patch(loc, 0, body[:1000]); resp.StatusCode != 204 {
		t.Fatalf("an older record's upload while its partner has one token: %d %s", resp.StatusCode, b)
	}
	e.newToken("revoke then add", store.RolePartner, "fld")
	if resp, b := e.patch(loc, 1000, body[1000:]); resp.StatusCode != 401 {
		t.Fatalf("an older record's upload after its partner's name has a new token: %d %s, want 401", resp.StatusCode, b)
	}
	if resp, _ := e.do("HEAD", loc, nil, tusHdr()); resp.StatusCode != 401 {
		t.Fatalf("HEAD: %d, want 401", resp.StatusCode)
	}
	if _, err := e.st.Submission(ctx, sub.id); err == nil {
		t.Fatal("the older record's upload became a submission")
	}
}

// TestRevokedDuringLastChunk: a token revoked (here: reissued) while the
// PATCH that brings its upload to its length is under way. The PATCH
// passed the check at its start; before, nothing looked again, so a
// thief who sent the rest of an upload in one long request when the leak
// was found finished it after the revocation, as the partner's. Now the
// completion asks again: 401, no submission, the upload gone. The PATCH
// is held between its check and its body by Expect: 100-continue: the
// server answers "100 Continue" only when it starts reading the body.
func TestRevokedDuringLastChunk(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, how := range []string{"reissue", "revoke"} {
		name := "office-" + how
		old := e.addToken(store.RolePartner, name)
		sub := newSubmitter()
		body := e.bundle(8 << 10)
		loc := e.create(len(body), meta(api.MetaKind, "relay", api.MetaSubmissionID, sub.id), old)
		c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"+
			"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", loc, len(body))
		br := bufio.NewReader(c)
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
			t.Fatalf("%s: waiting for 100 Continue: %q, %v", how, line, err)
		}
		br.ReadString('\n') // the empty line after it
		if how == "reissue" {
			e.newToken("reissue", store.RolePartner, name)
		} else if err := e.st.RevokeToken(ctx, store.RolePartner, name); err != nil {
			t.Fatal(err)
		}
		c.Write(body)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(b), "the partner token that created this upload was revoked") {
			t.Fatalf("%s during the last chunk: %d %s, want 401", how, resp.StatusCode, b)
		}
		if _, err := e.st.Submission(ctx, sub.id); err == nil {
			t.Fatalf("%s during the last chunk: the upload became a submission", how)
		}
		if _, err := e.st.Upload(ctx, loc[len("/v1/uploads/"):]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s during the last chunk: the upload is still there: %v", how, err)
		}
	}
}
