package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"refuge/server/api"
)

// listedSub is a well-formed listed submission with id n, received on day.
func listedSub(n int, day string) api.Submission {
	return api.Submission{ID: fmt.Sprintf("%032x", n), Kind: "anonymous", Received: day, Status: "received", Size: 100, SHA256: strings.Repeat("0", 64)}
}

// pagedServer serves the courier's list through page, which gets the
// after of each request ("" for the first) and how many came before.
func pagedServer(t *testing.T, page func(after string, n int64) api.SubmissionList) (*Client, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1) - 1
		if n > 10_000 { // a client that never stops; the test fails below
			http.Error(w, "enough", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(page(r.URL.Query().Get("after"), n))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Options{Server: srv.URL, Proxy: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, &requests
}

// The courier reads the list a page at a time, after the last ID of the
// page before, and gets every submission once, the oldest day first. A
// server from before pages (one page, oldest first, no "more") is read as
// it was.
func TestSubmissionsPaged(t *testing.T) {
	days := []string{"2026-11-30", "2026-11-28", "2026-11-29", "2026-11-28", "2026-11-30"}
	c, requests := pagedServer(t, func(after string, _ int64) api.SubmissionList {
		var l api.SubmissionList
		for i, day := range days {
			if s := listedSub(i+1, day); s.ID > after && len(l.Submissions) < 2 {
				l.Submissions = append(l.Submissions, s)
			}
		}
		l.More = len(l.Submissions) == 2 && l.Submissions[1].ID != listedSub(len(days), "").ID
		return l
	})
	subs, err := c.Submissions(t.Context(), strings.Repeat("a", 64))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range subs {
		got = append(got, s.ID[30:]+" "+s.Received)
	}
	want := []string{"02 2026-11-28", "04 2026-11-28", "03 2026-11-29", "01 2026-11-30", "05 2026-11-30"}
	if !slices.Equal(got, want) || requests.Load() != 3 {
		t.Fatalf("listed %v in %d requests, want %v in 3", got, requests.Load(), want)
	}

	old, _ := pagedServer(t, func(string, int64) api.SubmissionList {
		return api.SubmissionList{Submissions: []api.Submission{listedSub(9, "2026-11-28"), listedSub(3, "2026-11-29")}}
	})
	if subs, err := old.Submissions(t.Context(), strings.Repeat("a", 64)); err != nil || len(subs) != 2 || subs[0].ID != listedSub(9, "").ID {
		t.Fatalf("one page from an older server: %v, %v", subs, err)
	}
}

// Pages no refuge-server sends are refused with an error, before the
// list is used, and after a bounded number of requests: a page longer
// than api.MaxSubmissionsPage, "more" after an empty page, pages that
// do not go forward (the same page again), an ID listed again on a later
// page, and pages that go forward forever (past maxListed).
func TestSubmissionsPagesHostile(t *testing.T) {
	maxListed = 5000 // restored below; the test is not parallel
	defer func() { maxListed = 200_000 }()
	page := func(from, n int, more bool) api.SubmissionList {
		l := api.SubmissionList{More: more}
		for i := range n {
			l.Submissions = append(l.Submissions, listedSub(from+i, "2026-11-30"))
		}
		return l
	}
	for _, c := range []struct {
		desc string
		page func(after string, n int64) api.SubmissionList
		want string
	}{
		{"a page too long", func(string, int64) api.SubmissionList { return page(1, api.MaxSubmissionsPage+1, false) },
			"listed 1001 submissions in one page; a refuge-server lists at most 1000"},
		{"more after an empty page", func(string, int64) api.SubmissionList { return page(1, 0, true) },
			"promised more submissions after an empty page"},
		{"the same page again", func(string, int64) api.SubmissionList { return page(1, 3, true) },
			"go back instead of forward"},
		{"a page that goes back", func(_ string, n int64) api.SubmissionList { return page(100-int(n)*10, 3, true) },
			"go back instead of forward"},
		{"an id again on a later page", func(_ string, n int64) api.SubmissionList {
			if n == 0 {
				return page(1, 3, true)
			}
			return page(3, 3, false)
		}, "listed the same submission (" + listedSub(3, "").ID + ") twice"},
		{"forward forever", func(_ string, n int64) api.SubmissionList { return page(1+int(n)*1000, 1000, true) },
			"lists more than 5000 submissions"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			cl, requests := pagedServer(t, c.page)
			subs, err := cl.Submissions(t.Context(), strings.Repeat("a", 64))
			if err == nil || !strings.Contains(err.Error(), c.want) || subs != nil {
				t.Fatalf("Submissions = %d, %v; want an error saying %q", len(subs), err, c.want)
			}
			if n := requests.Load(); n > 6 {
				t.Fatalf("%d requests, want it to stop at the first bad page", n)
			}
		})
	}
}
