package server_test

import (
	"sync"
	"testing"
)

// BenchmarkConcurrentUploads: 64 concurrent anonymous uploads of 1 MiB,
// each one POST and one PATCH, through HTTP into a real store.
func BenchmarkConcurrentUploads(b *testing.B) {
	e := newEnv(b)
	body := sealed(b, 1<<20, e.officers[0].Recipient(), e.officers[1].Recipient())
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := newSubmitter()
				loc := e.create(len(body), s.meta(), "")
				if resp, _ := e.patch(loc, 0, body); resp.StatusCode != 204 {
					b.Error(resp.Status)
				}
			}()
		}
		wg.Wait()
	}
}

// BenchmarkLargeUpload: one 256 MiB upload in one PATCH.
func BenchmarkLargeUpload(b *testing.B) {
	e := newEnv(b)
	body := sealed(b, 256<<20, e.officers[0].Recipient(), e.officers[1].Recipient())
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		loc := e.create(len(body), newSubmitter().meta(), "")
		if resp, _ := e.patch(loc, 0, body); resp.StatusCode != 204 {
			b.Error(resp.Status)
		}
	}
}
