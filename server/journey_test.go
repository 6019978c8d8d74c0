package server_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"aead.dev/minisign"
	"filippo.io/age"

	"refuge/server"
	"refuge/server/api"
)

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, b)
	}
	return v
}

// TestJourney walks one submission through every state over HTTP:
// received, collected, replied, acknowledged and deleted, and checks the
// event log's chain.
func TestJourney(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(20 << 10)
	e.submit(s, body)
	status := func() api.Status {
		resp, b := e.do("GET", "/v1/submissions/"+s.id+"/status", nil, bearer(s.token))
		if resp.StatusCode != 200 {
			t.Fatalf("status: %d %s", resp.StatusCode, b)
		}
		return decode[api.Status](t, b)
	}
	if st := status(); st.Status != "received" || st.ID != s.id {
		t.Fatalf("status %+v", st)
	}

	resp, b := e.do("GET", "/v1/submissions", nil, bearer(e.courier))
	list := decode[api.SubmissionList](t, b)
	sum := sha256.Sum256(body)
	if resp.StatusCode != 200 || len(list.Submissions) != 1 || list.Submissions[0].SHA256 != hex.EncodeToString(sum[:]) || list.Submissions[0].Kind != "anonymous" {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	e.checkCiphertext(s.id, body)
	if st := status(); st.Status != "collected" {
		t.Fatalf("after download: %+v", st)
	}

	// The courier pushes a reply, encrypted to the submitter's reply key.
	replyID, _ := age.GenerateHybridIdentity()
	reply := sealed(t, 5000, replyID.Recipient())
	loc := e.create(len(reply), meta("kind", "reply", "submission-id", s.id), e.courier)
	if resp, b := e.patch(loc, 0, reply); resp.StatusCode != 204 {
		t.Fatalf("reply upload: %d %s", resp.StatusCode, b)
	}
	st := status()
	if st.Status != "replied" || len(st.Replies) != 1 {
		t.Fatalf("after reply: %+v", st)
	}
	resp, b = e.do("GET", "/v1/submissions/"+s.id+"/replies", nil, bearer(s.token))
	if rl := decode[api.ReplyList](t, b); resp.StatusCode != 200 || len(rl.Replies) != 1 || rl.Replies[0].ID != st.Replies[0].ID {
		t.Fatalf("replies: %d %s", resp.StatusCode, b)
	}
	resp, got := e.do("GET", "/v1/submissions/"+s.id+"/replies/"+st.Replies[0].ID, nil, bearer(s.token))
	if resp.StatusCode != 200 || !bytes.Equal(got, reply) {
		t.Fatalf("reply download: %d", resp.StatusCode)
	}
	r, err := age.Decrypt(bytes.NewReader(got), replyID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Fatal(err)
	}

	// The officers acknowledge; the ciphertext goes, the record stays.
	ackBody := e.signAck(e.ack, string(server.Statement(s.id, sum)))
	resp, b = e.do("POST", "/v1/acks", []byte(ackBody), map[string]string{"Authorization": "Bearer " + e.courier, "Content-Type": "application/json"})
	if resp.StatusCode != 200 || !decode[api.AckResult](t, b).Deleted {
		t.Fatalf("ack: %d %s", resp.StatusCode, b)
	}
	if st := status(); st.Status != "deleted" || len(st.Replies) != 1 {
		t.Fatalf("after ack: %+v", st)
	}
	resp, b = e.do("GET", "/v1/submissions/"+s.id+"/ciphertext", nil, bearer(e.courier))
	if resp.StatusCode != 410 {
		t.Fatalf("ciphertext after ack: %d %s", resp.StatusCode, b)
	}
	resp, b = e.do("POST", "/v1/acks", []byte(ackBody), map[string]string{"Authorization": "Bearer " + e.courier, "Content-Type": "application/json"})
	if resp.StatusCode != 410 {
		t.Fatalf("second ack: %d %s", resp.StatusCode, b)
	}

	// The event log: every step, chained.
	resp, b = e.do("GET", "/v1/events?from=0", nil, bearer(e.courier))
	evs := decode[api.EventList](t, b)
	var types []string
	prev := hex.EncodeToString(make([]byte, 32))
	for _, ev := range evs.Events {
		types = append(types, ev.Type)
		if ev.Prev != prev || ev.SubmissionID != s.id || ev.Day == "" {
			t.Fatalf("event chain broken at %d: %+v", ev.Seq, ev)
		}
		prev = ev.Hash
	}
	want := []string{"created", "completed", "collected", "replied", "deleted"}
	if resp.StatusCode != 200 || !slices.Equal(types, want) || evs.Next != evs.Events[len(evs.Events)-1].Seq+1 {
		t.Fatalf("events %v, want %v (next %d)", types, want, evs.Next)
	}
	resp, b = e.do("GET", "/v1/events?from="+itoa(evs.Next), nil, bearer(e.courier))
	if more := decode[api.EventList](t, b); resp.StatusCode != 200 || len(more.Events) != 0 || more.Next != evs.Next {
		t.Fatalf("events past the end: %s", b)
	}
}

// TestSubmitterCannotTellUnknownFromWrong: an unknown id and a wrong
// token give byte-identical answers.
func TestSubmitterCannotTellUnknownFromWrong(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	e.submit(s, e.bundle(1000))
	other := newSubmitter()
	for _, path := range []string{"/status", "/replies"} {
		r1, b1 := e.do("GET", "/v1/submissions/"+s.id+path, nil, bearer(other.token))
		r2, b2 := e.do("GET", "/v1/submissions/"+other.id+path, nil, bearer(s.token))
		if r1.StatusCode != r2.StatusCode || !bytes.Equal(b1, b2) {
			t.Fatalf("%s: wrong token %d %s, unknown id %d %s", path, r1.StatusCode, b1, r2.StatusCode, b2)
		}
	}
}

func TestPartnerRelayIsAttributed(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(2000)
	loc := e.create(len(body), s.meta()+","+meta("kind", "relay"), e.partner)
	if resp, b := e.patch(loc, 0, body); resp.StatusCode != 204 {
		t.Fatalf("relay: %d %s", resp.StatusCode, b)
	}
	_, b := e.do("GET", "/v1/submissions", nil, bearer(e.courier))
	list := decode[api.SubmissionList](t, b)
	if len(list.Submissions) != 1 || list.Submissions[0].Partner != "fld" || list.Submissions[0].Kind != "relay" {
		t.Fatalf("list %s", b)
	}
}

// TestRelayWithoutVerifier: a partner that relays a bundle without its
// verifier gets it stored, and no token (not even an all-zero one) reads
// its status.
func TestRelayWithoutVerifier(t *testing.T) {
	e := newEnv(t)
	s := newSubmitter()
	body := e.bundle(2000)
	loc := e.create(len(body), meta("kind", "relay", "submission-id", s.id), e.partner)
	if resp, b := e.patch(loc, 0, body); resp.StatusCode != 204 {
		t.Fatalf("relay: %d %s", resp.StatusCode, b)
	}
	for _, tok := range []string{s.token, strings.Repeat("0", 64)} {
		if resp, b := e.do("GET", "/v1/submissions/"+s.id+"/status", nil, bearer(tok)); resp.StatusCode != 404 {
			t.Fatalf("status with %s: %d %s", tok, resp.StatusCode, b)
		}
	}
}

func TestManifestPublishAndServe(t *testing.T) {
	e := newEnv(t)
	newOfficer, _ := age.GenerateHybridIdentity()
	mb, sig := e.signManifest(2, []string{newOfficer.Recipient().String()}, e.ackPub, 30)
	resp, b := e.do("PUT", "/v1/manifest", []byte(manifestPut(mb, sig)), map[string]string{"Authorization": "Bearer " + e.courier, "Content-Type": "application/json"})
	if resp.StatusCode != 200 || decode[api.ManifestInfo](t, b).Version != 2 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, b)
	}
	_, gotM := e.do("GET", "/v1/manifest", nil, nil)
	_, gotS := e.do("GET", "/v1/manifest.minisig", nil, nil)
	if !bytes.Equal(gotM, mb) || !bytes.Equal(gotS, sig) || !minisign.Verify(e.rootPub, gotM, gotS) {
		t.Fatal("served manifest differs from the published one")
	}
	// Submissions now need exactly the new manifest's one recipient.
	s := newSubmitter()
	old := e.bundle(1000)
	loc := e.create(len(old), s.meta(), "")
	if resp, b := e.patch(loc, 0, old); resp.StatusCode != 422 {
		t.Fatalf("bundle for the old manifest: %d %s", resp.StatusCode, b)
	}
	e.submit(s, sealed(t, 1000, newOfficer.Recipient()))
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *serverConfig) { c.RequestsPerSecond = 0.001; c.RequestBurst = 3 })
	codes := map[int]int{}
	for range 6 {
		resp, _ := e.do("GET", "/v1/manifest", nil, nil)
		codes[resp.StatusCode]++
	}
	if codes[200] != 3 || codes[429] != 3 {
		t.Fatalf("statuses %v, want three 200 and three 429", codes)
	}
}

// TestConcurrentUploadLimit: with one slot, two PATCHes whose bodies
// never come both want it; one holds it and the other is refused at once
// with 503 and Retry-After.
func TestConcurrentUploadLimit(t *testing.T) {
	e := newEnv(t, func(c *serverConfig) { c.MaxConcurrentUploads = 1 })
	type answer struct {
		resp *http.Response
		body []byte
		err  error
	}
	answers := make(chan answer, 2)
	for range 2 {
		loc := e.create(1000, newSubmitter().meta(), "")
		c := rawPatch(t, e.url, loc, 0, 1000, nil, false)
		defer c.Close()
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			var b []byte
			if err == nil {
				b, _ = io.ReadAll(resp.Body)
			}
			answers <- answer{resp, b, err}
		}()
	}
	a := <-answers
	if a.err != nil {
		t.Fatal(a.err)
	}
	if a.resp.StatusCode != 503 || a.resp.Header.Get("Retry-After") == "" || apiError(t, a.body).Code != "unavailable" {
		t.Fatalf("the second upload: %d %s", a.resp.StatusCode, a.body)
	}
}

func TestPerUploadRateLimit(t *testing.T) {
	e := newEnv(t, func(c *serverConfig) { c.UploadRequestsPerSec = 0.001; c.UploadRequestBurst = 2 })
	s := newSubmitter()
	body := e.bundle(3000)
	loc := e.create(len(body), s.meta(), "")
	for i, want := range []int{204, 204, 429} {
		resp, b := e.patch(loc, i*100, body[i*100:(i+1)*100])
		if resp.StatusCode != want {
			t.Fatalf("PATCH %d: %d %s", i, resp.StatusCode, b)
		}
	}
	// Another upload is not affected.
	other := e.create(len(body), newSubmitter().meta(), "")
	if resp, b := e.patch(other, 0, body[:100]); resp.StatusCode != 204 {
		t.Fatalf("other upload: %d %s", resp.StatusCode, b)
	}
}

// TestPerUploadRateLimitUnknownIDs: PATCHes to five thousand random ids
// that name no upload (more than the per-upload table holds) each get a
// 404 and take no entry in it, so they cannot push out a real upload's
// bucket: the upload that used up its burst before them is still refused
// after them.
func TestPerUploadRateLimitUnknownIDs(t *testing.T) {
	e := newEnv(t, func(c *serverConfig) { c.UploadRequestsPerSec = 0.001; c.UploadRequestBurst = 2 })
	s := newSubmitter()
	body := e.bundle(3000)
	loc := e.create(len(body), s.meta(), "")
	for i := range 2 {
		if resp, b := e.patch(loc, i*100, body[i*100:(i+1)*100]); resp.StatusCode != 204 {
			t.Fatalf("PATCH %d: %d %s", i, resp.StatusCode, b)
		}
	}
	if n := server.UploadLimiters(e.api); n != 1 {
		t.Fatalf("%d per-upload buckets for one upload", n)
	}
	for i := range 5000 {
		id := newSubmitter().id
		resp, b := e.patch("/v1/uploads/"+id, 0, []byte("x"))
		if resp.StatusCode != 404 {
			t.Fatalf("PATCH %d to an unknown id: %d %s", i, resp.StatusCode, b)
		}
	}
	if n := server.UploadLimiters(e.api); n != 1 {
		t.Fatalf("%d per-upload buckets after PATCHes to unknown ids, want 1", n)
	}
	if resp, b := e.patch(loc, 200, body[200:300]); resp.StatusCode != 429 {
		t.Fatalf("the upload that used its burst: %d %s, want 429", resp.StatusCode, b)
	}
}

// TestSubmissionsInPages pages through the courier's list over HTTP, two
// submissions a page: each submission not yet deleted exactly once, in
// ID order, "more" on every page but the last; a server at its default
// page size lists them all at once.
func TestSubmissionsInPages(t *testing.T) {
	e := newEnv(t, func(c *serverConfig) { c.SubmissionsPage = 2 })
	var ids []string
	for range 5 {
		s := newSubmitter()
		e.submit(s, e.bundle(2000))
		ids = append(ids, s.id)
	}
	slices.Sort(ids)
	var got []string
	path := "/v1/submissions"
	for page := 0; ; page++ {
		resp, b := e.do("GET", path, nil, bearer(e.courier))
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		list := decode[api.SubmissionList](t, b)
		if last := page == 2; len(list.Submissions) != map[bool]int{false: 2, true: 1}[last] || list.More == last {
			t.Fatalf("page %d: %s", page, b)
		}
		for _, s := range list.Submissions {
			got = append(got, s.ID)
		}
		if !list.More {
			break
		}
		path = "/v1/submissions?after=" + got[len(got)-1]
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("listed %v, want %v", got, ids)
	}
	_, b := e.sibling().do("GET", "/v1/submissions", nil, bearer(e.courier))
	if list := decode[api.SubmissionList](t, b); len(list.Submissions) != 5 || list.More || strings.Contains(string(b), `"more"`) {
		t.Fatalf("one page at the default size: %s", b)
	}
}
