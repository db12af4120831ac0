package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// tokenResult is the body of POST /v1/tokens.
type tokenResult struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Token       string   `json:"token"`
	Permissions []string `json:"permissions"`
}

func TestCredentialNeedsPermission(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")
	path := "/v1/connections/" + link + "/credential"

	wantProblem(t, s.admin("GET", path, nil), http.StatusForbidden, "permission_required")

	resp := s.admin("POST", "/v1/tokens", map[string]any{"name": "sdk", "permissions": []string{"credentials:read"}})
	wantStatus(t, resp, http.StatusCreated)
	created := decode[tokenResult](t, resp)
	if !strings.HasPrefix(created.Token, "pb_") {
		t.Fatalf("token = %.6q..., want a pb_ token", created.Token)
	}
	if created.Name != "sdk" || !slices.Equal(created.Permissions, []string{"credentials:read"}) {
		t.Errorf("token name %q, permissions %v; want sdk, [credentials:read]", created.Name, created.Permissions)
	}

	me := decode[map[string]any](t, s.do("GET", "/v1/me", created.Token, nil))
	if me["username"] != "admin" || me["token"] != "sdk" {
		t.Errorf("GET /v1/me with the new token = %v, want admin's token sdk", me)
	}

	// Only OAuth credentials have an access token to fetch, so an API key is never returned.
	p := wantProblem(t, s.do("GET", path, created.Token, nil), http.StatusUnprocessableEntity, "unsupported_auth_type")
	if !strings.Contains(p.Detail, "api_key") {
		t.Errorf("detail = %q, want it to name the auth type", p.Detail)
	}

	// The new token is shown once: only in the response that created it.
	if n := s.countResponsesContaining(created.Token); n != 1 {
		t.Errorf("the new token appears in %d responses, want 1", n)
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none", len(got))
	}
}

func TestTokensRejects(t *testing.T) {
	s := newStack(t)
	viewerToken := s.addUser("vera", "viewer")
	developerToken := s.addUser("dana", "developer")

	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		code   string
	}{
		{name: "missing name", token: adminToken, body: map[string]any{"name": " "}, status: http.StatusUnprocessableEntity, code: "invalid_token_request"},
		{name: "unknown permission", token: adminToken, body: map[string]any{"name": "ci", "permissions": []string{"everything"}}, status: http.StatusUnprocessableEntity, code: "invalid_permission"},
		{name: "viewer with credentials:read", token: viewerToken, body: map[string]any{"name": "ci", "permissions": []string{"credentials:read"}}, status: http.StatusForbidden, code: "forbidden"},
		{name: "developer token granting what it lacks", token: developerToken, body: map[string]any{"name": "ci", "permissions": []string{"credentials:read"}}, status: http.StatusForbidden, code: "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.do("POST", "/v1/tokens", tt.token, tt.body), tt.status, tt.code)
		})
	}
}

func TestTokenPassesOnOwnPermissions(t *testing.T) {
	s := newStack(t)
	developerToken := s.addUser("dana", "developer")

	// A developer's token without permissions still creates plain tokens.
	wantStatus(t, s.do("POST", "/v1/tokens", developerToken, map[string]any{"name": "plain"}), http.StatusCreated)

	// An admin creates a credentials:read token, which may pass it on.
	resp := s.admin("POST", "/v1/tokens", map[string]any{"name": "sdk", "permissions": []string{"credentials:read"}})
	wantStatus(t, resp, http.StatusCreated)
	sdk := decode[tokenResult](t, resp)
	resp = s.do("POST", "/v1/tokens", sdk.Token, map[string]any{"name": "sdk-2", "permissions": []string{"credentials:read"}})
	wantStatus(t, resp, http.StatusCreated)
}
