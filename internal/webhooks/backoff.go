package webhooks

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry timing defaults.
const (
	DefaultBackoffBase = 5 * time.Second
	DefaultBackoffMax  = time.Hour
	// MaxRetryAfter caps the wait that a receiver requests with its
	// Retry-After header.
	MaxRetryAfter = time.Hour
)

// backoff returns the wait before the next attempt after attempts failed
// ones: exponential backoff with full jitter, a random duration from zero
// to base·2^(attempts-1), capped at maxDelay.
func backoff(attempts int, base, maxDelay time.Duration, jitter func(time.Duration) time.Duration) time.Duration {
	ceiling := base
	for i := 1; i < attempts && ceiling < maxDelay; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, maxDelay)
	if ceiling <= 0 {
		return 0
	}
	return jitter(ceiling)
}

// fullJitter returns a random duration from zero to ceiling inclusive.
func fullJitter(ceiling time.Duration) time.Duration {
	return rand.N(ceiling + 1)
}

// retryAfter reads a Retry-After header, in delay seconds or as an HTTP
// date, as a wait from now capped at MaxRetryAfter. It reports false when
// the header is missing or invalid. A date in the past means no wait.
func retryAfter(header http.Header, now time.Time) (time.Duration, bool) {
	value := strings.TrimSpace(header.Get("Retry-After"))
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds < 0 {
			return 0, false
		}
		if seconds > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(seconds) * time.Second, true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return min(max(at.Sub(now), 0), MaxRetryAfter), true
}
