package client

import (
	"testing"
	"time"
)

func TestNextChunk(t *testing.T) {
	tests := []struct {
		desc     string
		chunk, n int64
		d        time.Duration
		want     int64
	}{
		{"fast grows", 8 << 20, 8 << 20, time.Second, 16 << 20},
		{"very fast grows fourfold", 256 << 10, 256 << 10, 100 * time.Millisecond, 1 << 20},
		{"capped", maxChunk, maxChunk, time.Millisecond, maxChunk},
		{"fourfold capped", 64 << 20, 64 << 20, time.Millisecond, maxChunk},
		{"steady keeps", 8 << 20, 8 << 20, 5 * time.Second, 8 << 20},
		{"slow shrinks", 8 << 20, 8 << 20, time.Minute, 4 << 20},
		{"floor", minChunk, minChunk, time.Hour, minChunk},
		{"short last chunk says nothing", 8 << 20, 100, time.Millisecond, 8 << 20},
	}
	for _, tt := range tests {
		if got := nextChunk(tt.chunk, tt.n, tt.d); got != tt.want {
			t.Errorf("%s: nextChunk = %d, want %d", tt.desc, got, tt.want)
		}
	}
}
