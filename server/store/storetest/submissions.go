package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"refuge/server/store"
)

func testComplete(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(70000)
	u := newUpload(t, store.KindRelay, NewID(t), int64(len(data)))
	u.Partner = "fld"
	u.CreatorToken = sha256.Sum256([]byte("fld's token"))
	if err := s.AddToken(ctx, store.Token{Name: "fld", Role: store.RolePartner, Verifier: u.CreatorToken}); err != nil {
		t.Fatal(err)
	}
	create(t, s, u)
	write(t, s, u.ID, 0, data)
	var seen []byte
	sub, err := s.Complete(ctx, u.ID, func(r io.Reader) error {
		var err error
		seen, err = io.ReadAll(r)
		return err
	})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if !bytes.Equal(seen, data) {
		t.Fatal("check did not see the ciphertext from its start")
	}
	want := store.Submission{
		ID: u.SubmissionID, Kind: store.KindRelay, Verifier: u.Verifier, Partner: "fld",
		Received: sub.Received, Status: store.StatusReceived, Size: int64(len(data)), SHA256: sha256.Sum256(data),
	}
	if sub.Received == "" || !slices.Equal(sub.Replies, nil) || sub.ID != want.ID || sub.Kind != want.Kind ||
		sub.Verifier != want.Verifier || sub.Partner != want.Partner || sub.Status != want.Status ||
		sub.Size != want.Size || sub.SHA256 != want.SHA256 {
		t.Fatalf("Complete returned %+v, want %+v", sub, want)
	}
	got, err := s.Submission(ctx, sub.ID)
	if err != nil || got.SHA256 != want.SHA256 || got.Status != store.StatusReceived {
		t.Fatalf("Submission: %+v, %v", got, err)
	}
	_, err = s.Upload(ctx, u.ID)
	wantErr(t, "upload after Complete", err, store.ErrNotFound)
	_, err = s.Complete(ctx, u.ID, nil)
	wantErr(t, "second Complete", err, store.ErrNotFound)
	e := lastEvent(t, s)
	if e.Type != store.EventCompleted || e.SubmissionID != sub.ID || e.SHA256 != want.SHA256 || e.Day != sub.Received {
		t.Fatalf("last event %+v, want completed with the ciphertext hash", e)
	}
}

func testCompleteIncomplete(t *testing.T, s store.Store) {
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("12345"))
	_, err := s.Complete(context.Background(), u.ID, nil)
	wantErr(t, "Complete at half", err, store.ErrIncomplete)
	if offsetOf(t, s, u.ID) != 5 {
		t.Fatal("refused Complete changed the upload")
	}
}

func testCompleteRejected(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUpload(t, store.KindAnonymous, NewID(t), 10)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("not an age"))
	errNotAge := errors.New("not an age file")
	_, err := s.Complete(ctx, u.ID, func(r io.Reader) error { return errNotAge })
	wantErr(t, "rejected Complete", err, store.ErrRejected, errNotAge)
	_, err = s.Upload(ctx, u.ID)
	wantErr(t, "rejected upload", err, store.ErrNotFound)
	_, err = s.Submission(ctx, u.SubmissionID)
	wantErr(t, "rejected submission", err, store.ErrNotFound)
	// The submission id is free again: the submitter may retry.
	create(t, s, newUpload(t, store.KindAnonymous, u.SubmissionID, 1))
}

// testCompleteUndecided: a check that cannot decide (its error wraps
// ErrUndecided) leaves the upload as it was, with Complete and with
// WriteLastChunk, whose chunk is then kept; a later Complete finishes it
// with the same bytes.
func testCompleteUndecided(t *testing.T, s store.Store) {
	ctx := context.Background()
	errLookup := fmt.Errorf("%w: the manifest could not be read", store.ErrUndecided)
	undecided := func(io.Reader) error { return errLookup }
	data := Data(70000)
	u := newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	write(t, s, u.ID, 0, data)
	_, err := s.Complete(ctx, u.ID, undecided)
	wantErr(t, "undecided Complete", err, store.ErrUndecided, errLookup)
	if errors.Is(err, store.ErrRejected) || offsetOf(t, s, u.ID) != u.Length {
		t.Fatalf("undecided Complete: %v, offset %d; want the upload kept full", err, offsetOf(t, s, u.ID))
	}
	_, err = s.Submission(ctx, u.SubmissionID)
	wantErr(t, "submission after an undecided Complete", err, store.ErrNotFound)
	checkStored(t, s, complete(t, s, u.ID), data)

	u = newUpload(t, store.KindAnonymous, NewID(t), int64(len(data)))
	create(t, s, u)
	write(t, s, u.ID, 0, data[:1000])
	n, err := s.WriteLastChunk(ctx, u.ID, 1000, bytes.NewReader(data[1000:]), nil, undecided)
	wantErr(t, "undecided last chunk", err, store.ErrUndecided, errLookup)
	if errors.Is(err, store.ErrRejected) || n != u.Length || offsetOf(t, s, u.ID) != u.Length {
		t.Fatalf("undecided last chunk: offset %d (recorded %d), want the chunk kept: %d", n, offsetOf(t, s, u.ID), u.Length)
	}
	checkStored(t, s, complete(t, s, u.ID), data)
}

// testCompleteCreatorRevoked: an upload that names a partner or a
// courier completes only while the token that created it is the name's
// active token (or, for an upload recorded without CreatorToken, while
// the name has had one token, active); otherwise Complete and
// WriteLastChunk delete it (ErrRejected and ErrRevoked), and the
// submission id is free again.
func testCompleteCreatorRevoked(t *testing.T, s store.Store) {
	ctx := context.Background()
	n := 0
	token := func(role store.Role, name string) [32]byte {
		n++
		v := sha256.Sum256([]byte("creator " + strconv.Itoa(n)))
		if err := s.AddToken(ctx, store.Token{Name: name, Role: role, Verifier: v}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	reissue := func(role store.Role, name string) {
		n++
		if _, err := s.ReissueToken(ctx, store.Token{Name: name, Role: role, Verifier: sha256.Sum256([]byte("creator " + strconv.Itoa(n)))}); err != nil {
			t.Fatal(err)
		}
	}
	revoke := func(role store.Role, name string) {
		if err := s.RevokeToken(ctx, role, name); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		desc    string
		role    store.Role
		bound   bool                               // the upload names its CreatorToken
		after   func(role store.Role, name string) // between creation and completion
		refused bool
	}{
		{"partner, token active", store.RolePartner, true, nil, false},
		{"partner, token revoked", store.RolePartner, true, revoke, true},
		{"partner, token reissued", store.RolePartner, true, reissue, true},
		{"courier, token active", store.RoleCourier, true, nil, false},
		{"courier, token revoked", store.RoleCourier, true, revoke, true},
		{"courier, token reissued", store.RoleCourier, true, reissue, true},
		{"older record, one token", store.RolePartner, false, nil, false},
		{"older record, token revoked", store.RolePartner, false, revoke, true},
		{"older record, token reissued", store.RolePartner, false, reissue, true},
		{"older record of a courier, token reissued", store.RoleCourier, false, reissue, true},
	} {
		for _, last := range []bool{false, true} {
			name := fmt.Sprintf("name %d", n)
			v := token(tc.role, name)
			data := Data(5000)
			u := newUpload(t, store.KindRelay, NewID(t), int64(len(data)))
			u.Partner = name
			var parent store.Submission
			if tc.role == store.RoleCourier {
				parent = submit(t, s, Data(100))
				u = newUpload(t, store.KindReply, parent.ID, int64(len(data)))
				u.Verifier, u.Courier = [32]byte{}, name
			}
			if tc.bound {
				u.CreatorToken = v
			}
			create(t, s, u)
			write(t, s, u.ID, 0, data[:1000])
			if tc.after != nil {
				tc.after(tc.role, name)
			}
			var err error
			if last {
				_, err = s.WriteLastChunk(ctx, u.ID, 1000, bytes.NewReader(data[1000:]), nil, func(io.Reader) error { return nil })
			} else {
				write(t, s, u.ID, 1000, data[1000:])
				_, err = s.Complete(ctx, u.ID, func(io.Reader) error { return nil })
			}
			what := fmt.Sprintf("%s (last chunk %v)", tc.desc, last)
			if !tc.refused {
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				continue
			}
			wantErr(t, what, err, store.ErrRejected, store.ErrRevoked)
			_, err = s.Upload(ctx, u.ID)
			wantErr(t, what+": the upload", err, store.ErrNotFound)
			if tc.role == store.RoleCourier {
				if sub, err := s.Submission(ctx, parent.ID); err != nil || len(sub.Replies) != 0 {
					t.Fatalf("%s: the submission replied to: %+v, %v; want no reply", what, sub, err)
				}
				continue
			}
			_, err = s.Submission(ctx, u.SubmissionID)
			wantErr(t, what+": the submission", err, store.ErrNotFound)
			create(t, s, newUpload(t, store.KindAnonymous, u.SubmissionID, 1))
		}
	}
}

func testEmptyUpload(t *testing.T, s store.Store) {
	u := newUpload(t, store.KindAnonymous, NewID(t), 0)
	create(t, s, u)
	write(t, s, u.ID, 0, nil)
	_, err := s.WriteChunk(context.Background(), u.ID, 0, bytes.NewReader([]byte("x")), nil)
	wantErr(t, "byte into an empty upload", err, store.ErrTooLarge)
	if sub := complete(t, s, u.ID); sub.Size != 0 || sub.SHA256 != sha256.Sum256(nil) {
		t.Fatalf("empty submission %+v", sub)
	}
}

func testReply(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := submit(t, s, Data(1000))
	var replies [][]byte
	for i := range 2 {
		data := Data(500 + i)
		replies = append(replies, data)
		u := newUpload(t, store.KindReply, sub.ID, int64(len(data)))
		u.Verifier = [32]byte{}
		create(t, s, u)
		write(t, s, u.ID, 0, data)
		got := complete(t, s, u.ID)
		if got.ID != sub.ID || got.Status != store.StatusReplied || len(got.Replies) != i+1 {
			t.Fatalf("Complete of reply %d returned %+v", i, got)
		}
		r := got.Replies[i]
		if r.ID != u.ID || r.Size != int64(len(data)) || r.SHA256 != sha256.Sum256(data) || r.Created == "" {
			t.Fatalf("reply record %+v", r)
		}
		if e := lastEvent(t, s); e.Type != store.EventReplied || e.SubmissionID != sub.ID || e.SHA256 != r.SHA256 {
			t.Fatalf("last event %+v, want replied", e)
		}
	}
	got, err := s.Submission(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got.Replies {
		c, err := s.OpenReply(ctx, sub.ID, r.ID)
		if err != nil {
			t.Fatalf("OpenReply: %v", err)
		}
		if c.Size() != r.Size || !bytes.Equal(readAll(t, c), replies[i]) {
			t.Fatalf("reply %d differs", i)
		}
	}
	_, err = s.OpenReply(ctx, sub.ID, NewID(t))
	wantErr(t, "unknown reply", err, store.ErrNotFound)
	_, err = s.OpenReply(ctx, NewID(t), got.Replies[0].ID)
	wantErr(t, "reply of unknown submission", err, store.ErrNotFound)
	_, err = s.OpenReply(ctx, sub.ID, "../"+sub.ID)
	wantErr(t, "reply path trick", err, store.ErrNotFound)
	// Collecting a replied submission keeps it replied.
	if err := s.MarkCollected(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Submission(ctx, sub.ID); got.Status != store.StatusReplied {
		t.Fatalf("status %s after collecting a replied submission", got.Status)
	}
}

func testCiphertext(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(100000)
	sub := submit(t, s, data)
	c, err := s.OpenCiphertext(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Size() != int64(len(data)) {
		t.Fatalf("Size %d, want %d", c.Size(), len(data))
	}
	buf := make([]byte, 1000)
	if _, err := c.ReadAt(buf, 5000); err != nil || !bytes.Equal(buf, data[5000:6000]) {
		t.Fatalf("ReadAt: %v", err)
	}
	if _, err := c.Seek(99000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(rest, data[99000:]) {
		t.Fatalf("read after Seek: %v", err)
	}
	for _, id := range []string{NewID(t), "", "../../refuge.db"} {
		_, err = s.OpenCiphertext(ctx, id)
		wantErr(t, "OpenCiphertext of "+id, err, store.ErrNotFound)
	}
}

func testMarkCollected(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := submit(t, s, Data(10))
	before := len(events(t, s))
	for range 2 {
		if err := s.MarkCollected(ctx, sub.ID); err != nil {
			t.Fatalf("MarkCollected: %v", err)
		}
	}
	evs := events(t, s)
	if len(evs) != before+1 || evs[before].Type != store.EventCollected || evs[before].SubmissionID != sub.ID {
		t.Fatalf("MarkCollected twice should log one collected event, log has %d new", len(evs)-before)
	}
	if got, _ := s.Submission(ctx, sub.ID); got.Status != store.StatusCollected {
		t.Fatalf("status %s, want collected", got.Status)
	}
	wantErr(t, "MarkCollected of unknown", s.MarkCollected(ctx, NewID(t)), store.ErrNotFound)
}

func testDeleteSubmission(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := Data(1000)
	sub := submit(t, s, data)
	wrong, _ := hex.DecodeString(badHash)
	wantErr(t, "delete with a wrong hash", s.DeleteSubmission(ctx, sub.ID, [32]byte(wrong)), store.ErrBadState)
	c, err := s.OpenCiphertext(ctx, sub.ID)
	if err != nil {
		t.Fatalf("a refused delete removed the ciphertext: %v", err)
	}
	if !bytes.Equal(readAll(t, c), data) {
		t.Fatal("ciphertext changed")
	}
	wantErr(t, "delete unknown", s.DeleteSubmission(ctx, NewID(t), sub.SHA256), store.ErrNotFound)

	if err := s.DeleteSubmission(ctx, sub.ID, sub.SHA256); err != nil {
		t.Fatalf("DeleteSubmission: %v", err)
	}
	e := lastEvent(t, s)
	if e.Type != store.EventDeleted || e.SubmissionID != sub.ID || e.SHA256 != sub.SHA256 {
		t.Fatalf("last event %+v, want deleted", e)
	}
	if err := s.DeleteSubmission(ctx, sub.ID, sub.SHA256); err != nil {
		t.Fatalf("repeated DeleteSubmission: %v", err)
	}
	if lastEvent(t, s).Seq != e.Seq {
		t.Fatal("repeated DeleteSubmission logged again")
	}
	got, err := s.Submission(ctx, sub.ID)
	if err != nil || got.Status != store.StatusDeleted || got.SHA256 != sub.SHA256 {
		t.Fatalf("deleted submission record: %+v, %v", got, err)
	}
	_, err = s.OpenCiphertext(ctx, sub.ID)
	wantErr(t, "OpenCiphertext of deleted", err, store.ErrNotFound, store.ErrGone)
	wantErr(t, "MarkCollected of deleted", s.MarkCollected(ctx, sub.ID), store.ErrBadState)
	list, err := s.Submissions(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("Submissions lists a deleted one: %v, %v", list, err)
	}
	// Officers may still reply after acknowledging.
	u := newUpload(t, store.KindReply, sub.ID, 3)
	create(t, s, u)
	write(t, s, u.ID, 0, []byte("ack"))
	if got := complete(t, s, u.ID); len(got.Replies) != 1 || got.Status != store.StatusDeleted {
		t.Fatalf("reply to a deleted submission: %+v", got)
	}
}

func testSubmissions(t *testing.T, s store.Store) {
	var ids []string
	for range 5 {
		ids = append(ids, submit(t, s, Data(10)).ID)
	}
	list, err := s.Submissions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sub := range list {
		got = append(got, sub.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("Submissions in order %v, want oldest first %v", got, ids)
	}
}

// testSubmissionsAfter pages through the submissions in ID order: every
// one not deleted exactly once, whatever the page size, a deleted one
// skipped, an after that names no submission (or a deleted one) starting
// at the next ID, and an after or a limit that cannot be is refused.
func testSubmissionsAfter(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ids []string
	for range 7 {
		ids = append(ids, submit(t, s, Data(10)).ID)
	}
	gone := submit(t, s, Data(10))
	if err := s.DeleteSubmission(ctx, gone.ID, gone.SHA256); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	for _, limit := range []int{1, 2, 3, 7, 8, 100} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(ids) {
				t.Fatalf("limit %d: more pages than submissions", limit)
			}
			page, more, err := s.SubmissionsAfter(ctx, after, limit)
			if err != nil {
				t.Fatalf("limit %d, after %q: %v", limit, after, err)
			}
			if len(page) > limit || (more && len(page) != limit) {
				t.Fatalf("limit %d: a page of %d, more %v", limit, len(page), more)
			}
			for _, sub := range page {
				got = append(got, sub.ID)
			}
			if !more {
				break
			}
			after = page[len(page)-1].ID
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("limit %d: listed %v, want %v", limit, got, ids)
		}
	}
	for _, after := range []string{gone.ID, strings.Repeat("0", 32), ids[2][:31] + "0"} {
		page, _, err := s.SubmissionsAfter(ctx, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, id := range ids {
			if id > after {
				want = append(want, id)
			}
		}
		var got []string
		for _, sub := range page {
			got = append(got, sub.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("after %s: %v, want %v", after, got, want)
		}
	}
	if page, more, err := s.SubmissionsAfter(ctx, strings.Repeat("f", 32), 5); err != nil || len(page) != 0 || more {
		t.Fatalf("after the last id: %v, %v, %v", page, more, err)
	}
	for _, after := range []string{"x", strings.ToUpper(ids[0]), ids[0] + "0", ids[0][:31], "../" + ids[0][3:]} {
		_, _, err := s.SubmissionsAfter(ctx, after, 5)
		wantErr(t, "after "+after, err, store.ErrInvalid)
	}
	for _, limit := range []int{0, -1} {
		_, _, err := s.SubmissionsAfter(ctx, "", limit)
		wantErr(t, "limit", err, store.ErrInvalid)
	}
}
