package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
)

// tokenEndpoint returns a new access token, valid for an hour, for every
// refresh_token grant at once, and counts the grants.
type tokenEndpoint struct {
	refreshes atomic.Int64
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	n := e.refreshes.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": fmt.Sprintf("scale-access-%d", n), "token_type": "Bearer", "expires_in": 3600,
	})
}
