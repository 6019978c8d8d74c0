package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"refuge/client"
	"refuge/server/api"
)

// TestListsWithDuplicateIDs: a server lists the same submission or reply
// twice (with two hashes, say: which one goes into SHA256SUMS?). No
// refuge-server does; it is refused with a final error naming the
// duplicate, after one try.
func TestListsWithDuplicateIDs(t *testing.T) {
	t.Parallel()
	reply := api.Reply{ID: someID, Size: 3, SHA256: strings.Repeat("0", 64), Created: "2026-11-30"}
	other := reply
	other.SHA256 = strings.Repeat("1", 64)
	sub := api.Submission{ID: someID, Kind: "anonymous", Received: "2026-11-30", Status: "received", Size: 3, SHA256: strings.Repeat("0", 64), Replies: []api.Reply{}}
	sub2 := sub
	sub2.SHA256 = strings.Repeat("1", 64)
	for _, tc := range []struct {
		desc string
		body any
		call func(c *client.Client) error
	}{
		{"submissions", api.SubmissionList{Submissions: []api.Submission{sub, sub2}}, func(c *client.Client) error {
			_, err := c.Submissions(context.Background(), someToken)
			return err
		}},
		{"replies of a listed submission", api.SubmissionList{Submissions: []api.Submission{{ID: sub.ID, Kind: sub.Kind, Received: sub.Received, Status: sub.Status, Size: 3, SHA256: sub.SHA256, Replies: []api.Reply{reply, other}}}}, func(c *client.Client) error {
			_, err := c.Submissions(context.Background(), someToken)
			return err
		}},
		{"replies", api.ReplyList{Replies: []api.Reply{reply, other}}, func(c *client.Client) error {
			_, err := c.Replies(context.Background(), someID, someToken)
			return err
		}},
		{"replies in a status", api.Status{Status: "replied", Received: "2026-11-30", Replies: []api.Reply{reply, reply}}, func(c *client.Client) error {
			_, err := c.Status(context.Background(), someID, someToken)
			return err
		}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				json.NewEncoder(w).Encode(tc.body)
			}))
			defer srv.Close()
			err := tc.call(newClient(t, client.Options{Server: srv.URL}))
			if err == nil || !strings.Contains(err.Error(), "twice") || client.Temporary(err) {
				t.Fatalf("%v, want a final error naming an id listed twice", err)
			}
			if n := requests.Load(); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
}
