package oauth

import (
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
)

func TestClientCredentialsRequest(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json",
		`{"access_token":"cc-token-1","token_type":"bearer","expires_in":600}`))
	cfg := newTestConfig(e, catalog.ClientSecretBasic)

	token, err := cfg.ClientCredentials(t.Context(), []string{"devices.read", "devices.write"})
	if err != nil {
		t.Fatalf("ClientCredentials() error = %v", err)
	}
	if token.AccessToken != "cc-token-1" || token.RefreshToken != "" || !token.Expiry.Equal(testNow.Add(600e9)) {
		t.Errorf("token = %v, want cc-token-1 without a refresh token, expiring in 600 s", token)
	}
	req := e.only(t)
	if got := req.form.Get("grant_type"); got != "client_credentials" {
		t.Errorf("grant_type = %q, want client_credentials", got)
	}
	if got := req.form.Get("scope"); got != "devices.read devices.write" {
		t.Errorf("scope = %q, want the scopes joined with a space", got)
	}
	if req.header.Get("Authorization") == "" || req.form.Has("client_secret") {
		t.Errorf("client authentication did not use the Basic header as configured")
	}
}

func TestClientCredentialsWithoutScopes(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"cc-token-1","token_type":"Bearer"}`))
	cfg := newTestConfig(e, catalog.ClientSecretPost)
	if _, err := cfg.ClientCredentials(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if e.only(t).form.Has("scope") {
		t.Errorf("a request without scopes sent a scope parameter")
	}
}
