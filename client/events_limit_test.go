package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"refuge/server/api"
)

// A hostile server that pages its event log forever: the courier stops
// at maxEvents entries with an error, instead of growing until memory
// runs out.
func TestEventsBounded(t *testing.T) {
	maxEvents = 1000 // restored below; the test is not parallel
	defer func() { maxEvents = 1 << 20 }()
	var pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
		if pages.Add(1) > 50 { // "forever", for a client without the bound: 5000 entries
			json.NewEncoder(w).Encode(api.EventList{Next: from})
			return
		}
		l := api.EventList{Next: from + 100}
		for i := range uint64(100) {
			l.Events = append(l.Events, api.Event{Seq: from + i, Day: "2026-11-30", Type: "created",
				SubmissionID: fmt.Sprintf("%032x", from+i), Hash: strings.Repeat("0", 64), Prev: strings.Repeat("0", 64)})
		}
		json.NewEncoder(w).Encode(l)
	}))
	defer srv.Close()
	c, err := New(Options{Server: srv.URL, Proxy: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs, err := c.Events(t.Context(), strings.Repeat("a", 64), 1)
	if err == nil || !strings.Contains(err.Error(), "more than 1000 entries") || evs != nil {
		t.Fatalf("Events = %d entries, %v; want an error past 1000", len(evs), err)
	}
	if n := pages.Load(); n > 11 {
		t.Fatalf("%d pages read, want it to stop at the bound", n)
	}
}
