package webhooks

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffCeilingDoubles(t *testing.T) {
	ceiling := func(d time.Duration) time.Duration { return d }
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{1, 5 * time.Second},
		{2, 10 * time.Second},
		{3, 20 * time.Second},
		{10, 2560 * time.Second},
		{11, time.Hour},
		{200, time.Hour},
	}
	for _, tt := range tests {
		got := backoff(tt.attempts, DefaultBackoffBase, DefaultBackoffMax, ceiling)
		if got != tt.want {
			t.Errorf("backoff(%d) = %s, want %s", tt.attempts, got, tt.want)
		}
	}
}

func TestFullJitterStaysInRange(t *testing.T) {
	for range 1000 {
		got := backoff(3, DefaultBackoffBase, DefaultBackoffMax, fullJitter)
		if got < 0 || got > 20*time.Second {
			t.Fatalf("backoff(3) = %s, want 0 to 20s", got)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		wantOK bool
	}{
		{"missing", "", 0, false},
		{"seconds", "120", 120 * time.Second, true},
		{"zero seconds", "0", 0, true},
		{"negative", "-5", 0, false},
		{"seconds over cap", "86400", MaxRetryAfter, true},
		{"huge seconds", "99999999999999999999", 0, false},
		{"http date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"past date", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"date over cap", now.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter, true},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.header != "" {
				header.Set("Retry-After", tt.header)
			}

			got, ok := retryAfter(header, now)

			if ok != tt.wantOK {
				t.Errorf("ok = %t, want %t", ok, tt.wantOK)
			}
			if got != tt.want {
				t.Errorf("wait = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestResponseExcerpt(t *testing.T) {
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"short", []byte("ok"), "ok"},
		{"cut at 4 KiB", long, string(long[:4096])},
		{"invalid utf-8", []byte("a\xffb"), "a\uFFFDb"},
		{"nul bytes", []byte("a\x00b"), "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := responseExcerpt(tt.body); got != tt.want {
				t.Errorf("responseExcerpt = %q, want %q", got, tt.want)
			}
		})
	}
}
