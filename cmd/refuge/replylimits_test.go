package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"refuge/server/api"
)

// TestRepliesRefusesListBeyondLimits: a seized server lists more replies
// than a refuge-server keeps for one submission (api.MaxReplies), or one
// reply larger than a refuge-server accepts (api.MaxReplySize). Before,
// refuge replies downloaded whatever was listed, one after the other, so
// the server could fill the defender's disk or keep the client busy
// without end. Now the list is refused before any download: exit 1 with
// an error naming the limit, nothing downloaded, nothing saved.
func TestRepliesRefusesListBeyondLimits(t *testing.T) {
	t.Parallel()
	reply := func(i int, size int64) api.Reply {
		return api.Reply{ID: fmt.Sprintf("%032x", i+1), Size: size, SHA256: strings.Repeat("0", 64), Created: "2026-11-30"}
	}
	many := make([]api.Reply, api.MaxReplies+1)
	for i := range many {
		many[i] = reply(i, 100)
	}
	for _, tc := range []struct {
		desc    string
		replies []api.Reply
		want    string
	}{
		{"one reply more than the most", many, fmt.Sprintf("listed %d replies, more than the %d a refuge-server keeps", api.MaxReplies+1, api.MaxReplies)},
		{"a reply larger than the largest", []api.Reply{reply(0, api.MaxReplySize+1)},
			fmt.Sprintf("a reply of %d bytes, larger than the %d a refuge-server accepts", api.MaxReplySize+1, api.MaxReplySize)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			var downloads atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/replies") {
					json.NewEncoder(w).Encode(api.ReplyList{Replies: tc.replies})
					return
				}
				downloads.Add(1)
				w.Write(make([]byte, 100))
			}))
			defer srv.Close()
			out := filepath.Join(t.TempDir(), "replies")
			r := newUser(t).run(newPhrase(t)+"\n", "replies", "--server", srv.URL, "-o", out)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, want 1 saying %q\nstderr: %q", r.code, tc.want, r.stderr)
			}
			if n := downloads.Load(); n != 0 {
				t.Fatalf("%d downloads", n)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("a replies folder was made")
			}
		})
	}
}
