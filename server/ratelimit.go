package server

import (
	"net/http"
	"sync"
	"time"

	"refuge/server/api"
)

// Rate limiting lives in memory only and is keyed by nothing that
// identifies a person: the server keeps no IP addresses (behind an onion
// service every client is 127.0.0.1 anyway). There is one global token
// bucket for every request, and one bucket per upload id so that one
// upload URL cannot be hammered. A flood can therefore slow everyone down
// (the price of not knowing who anyone is); it cannot make the server
// store anything or fall over.

// bucket is a token bucket: rate tokens per second up to burst.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int, now time.Time) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// allow takes one token if there is one.
func (b *bucket) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(b.burst, b.tokens+d*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket has refilled to its burst by now: it
// then holds nothing a fresh bucket would not.
func (b *bucket) full(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst
}

// buckets is a bounded set of buckets keyed by upload id; only ids of
// uploads that exist take an entry (see tusPatch). When it is full it
// first drops the buckets that have refilled (forgetting them forgives
// nobody), and only if none has, starts afresh, which at worst forgives
// some clients early.
type buckets struct {
	mu    sync.Mutex
	rate  float64
	burst int
	max   int
	m     map[string]*bucket
}

func newBuckets(rate float64, burst, max int) *buckets {
	return &buckets{rate: rate, burst: burst, max: max, m: make(map[string]*bucket)}
}

func (bs *buckets) allow(key string, now time.Time) bool {
	bs.mu.Lock()
	b, ok := bs.m[key]
	if !ok {
		if len(bs.m) >= bs.max {
			for k, b := range bs.m {
				if b.full(now) {
					delete(bs.m, k)
				}
			}
		}
		if len(bs.m) >= bs.max {
			clear(bs.m)
		}
		b = newBucket(bs.rate, bs.burst, now)
		bs.m[key] = b
	}
	bs.mu.Unlock()
	return b.allow(now)
}

// len is how many buckets the set holds.
func (bs *buckets) len() int {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return len(bs.m)
}

// rateLimit refuses requests beyond the global bucket with 429.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.global.allow(s.cfg.Now()) {
			w.Header().Set("Retry-After", "1")
			writeError(w, api.Errorf(api.CodeRateLimited, "too many requests; try again in a moment"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
