package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// tokenEndpoint is an OAuth 2.0 token endpoint that responds as a
// provider that rotates refresh tokens does. Each refresh token works once,
// and a reused one gets invalid_grant. It counts the requests of each grant.
type tokenEndpoint struct {
	delay time.Duration

	mu      sync.Mutex
	issued  int
	valid   map[string]bool // refresh tokens not yet used
	codes   int
	refresh int
}

func newTokenEndpoint(delay time.Duration) *tokenEndpoint {
	return &tokenEndpoint{delay: delay, valid: map[string]bool{}}
}

func (e *tokenEndpoint) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", e.token)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		stats := map[string]int{"authorization_code": e.codes, "refresh": e.refresh}
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(stats)
	})
	return mux
}

func (e *tokenEndpoint) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "invalid form", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != clientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}

	e.mu.Lock()
	var access, prefix string
	lifetime := 3600
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		e.codes++
		if r.PostForm.Get("code") != authCode {
			e.mu.Unlock()
			invalidGrant(w)
			return
		}
		prefix, lifetime = "initial-", initialLifetime
	case "refresh_token":
		e.refresh++
		old := r.PostForm.Get("refresh_token")
		if !e.valid[old] {
			e.mu.Unlock()
			invalidGrant(w)
			return
		}
		delete(e.valid, old)
		prefix = "refreshed-"
	default:
		e.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
		return
	}
	e.issued++
	access = fmt.Sprintf("%s%d", prefix, e.issued)
	refresh := fmt.Sprintf("rt-%d", e.issued)
	e.valid[refresh] = true
	e.mu.Unlock()

	if prefix == "refreshed-" {
		time.Sleep(e.delay)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": lifetime,
		"refresh_token": refresh, "scope": "read",
	})
}

func invalidGrant(w http.ResponseWriter) {
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
}
