package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/oauthtest"
)

// clientSecret has the characters that RFC 6749 section 2.3.1 makes
// clients form-encode before Basic authentication.
const clientSecret = "s3cret+with/slash:colon%percent&amp=equals"

// accessTokenTTL is short so the test can wait for expiry.
const accessTokenTTL = 2 * time.Second

// TestInteropOIDCProvider connects plugboard to panva's oidc-provider and
// calls the provider's API through the connection, using only plugboard's
// public HTTP API: every client authentication method, with refresh-token
// rotation on and off.
func TestInteropOIDCProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("interop test starts Node.js and plugboard processes; run without -short")
	}
	for _, tc := range []struct {
		name       string
		authMethod string
		rotate     bool
	}{
		{"basic_rotating", oauthtest.AuthMethodBasic, true},
		{"basic_reusable", oauthtest.AuthMethodBasic, false},
		{"post_rotating", oauthtest.AuthMethodPost, true},
		{"post_reusable", oauthtest.AuthMethodPost, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runInterop(t, tc.authMethod, tc.rotate)
		})
	}
}

func runInterop(t *testing.T, authMethod string, rotate bool) {
	ctx := context.Background()
	provider := oauthtest.Start(t, oauthtest.Options{
		Clients: []oauthtest.Client{{
			ID: "plugboard-client", Secret: clientSecret, AuthMethod: authMethod,
			RedirectURIs: []string{"http://127.0.0.1/oauth/callback"},
		}},
		RotateRefreshTokens: rotate,
		AccessTokenTTL:      accessTokenTTL,
	})
	inst := startInstance(t, "--refresh-skew", "0s")
	admin := testAdminToken
	v1 := inst.URL + "/v1"

	// A custom service describing the provider.
	resp := call(t, "POST", v1+"/services", admin, map[string]any{
		"key": "acme", "name": "Acme devices API", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": provider.AuthorizationURL,
			"token_url":         provider.TokenURL,
			"revocation_url":    provider.RevocationURL,
			"token_auth_method": authMethod,
			"pkce":              true,
		},
		"scopes": []map[string]string{
			{"name": "openid", "description": "Sign in"},
			{"name": "offline_access", "description": "Refresh tokens"},
			{"name": "devices.read", "description": "Read devices"},
		},
		"api_base_url": provider.APIBaseURL,
	})
	mustStatus(t, "create service", resp, http.StatusCreated)

	// The application: the secret is write-only, the redirect URI shown.
	resp = call(t, "POST", v1+"/applications", admin, map[string]any{
		"service": "acme", "name": "Production", "client_id": "plugboard-client", "client_secret": clientSecret,
	})
	mustStatus(t, "create application", resp, http.StatusCreated)
	if strings.Contains(string(resp.Body), "with/slash") {
		t.Errorf("application response shows the client secret: %s", resp.Body)
	}
	app := resp.JSON(t)
	if got, want := app["redirect_uri"], inst.URL+"/oauth/callback"; got != want {
		t.Errorf("redirect_uri = %v, want %s", got, want)
	}

	// The connection.
	resp = call(t, "POST", v1+"/connections", admin, map[string]any{
		"name": "Acme devices", "service": "acme", "scopes": []string{"openid", "offline_access", "devices.read"},
	})
	mustStatus(t, "create connection", resp, http.StatusCreated)
	conn := resp.JSON(t)
	if conn["link_name"] != "acme_devices" || conn["status"] != "not_connected" {
		t.Fatalf("new connection = %s, want link_name acme_devices and status not_connected", resp.Body)
	}

	// Connect through the authorization code flow with PKCE.
	resp = call(t, "POST", v1+"/connections/acme_devices/connect", admin, map[string]string{"return_to": "/connections/acme_devices"})
	mustStatus(t, "connect", resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)
	parsed, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("authorization_url %q: %v", authURL, err)
	}
	if got := parsed.Query().Get("code_challenge_method"); got != "S256" {
		t.Errorf("code_challenge_method = %q, want S256", got)
	}
	callback, err := provider.Authorize(ctx, authURL, "alice", "wonderland")
	if err != nil {
		t.Fatalf("authorizing at the provider: %v", err)
	}
	resp = call(t, "GET", inst.URL+"/oauth/callback?"+callback.RawQuery, "", nil)
	mustStatus(t, "callback", resp, http.StatusSeeOther)
	if got, want := resp.Header.Get("Location"), "/connections/acme_devices?connected=acme_devices"; got != want {
		t.Errorf("callback redirect = %q, want %q", got, want)
	}
	// The state is single use, so a replayed callback finds no flow to
	// return to and shows an error page.
	resp = call(t, "GET", inst.URL+"/oauth/callback?"+callback.RawQuery, "", nil)
	if resp.Status != http.StatusBadRequest || !strings.Contains(string(resp.Body), "already used") {
		t.Errorf("replayed callback: status %d, want 400 with a page saying the authorization was already used\n%s", resp.Status, resp.Body)
	}

	resp = call(t, "GET", v1+"/connections/acme_devices", admin, nil)
	mustStatus(t, "get connection", resp, http.StatusOK)
	conn = resp.JSON(t)
	if conn["status"] != "connected" {
		t.Fatalf("status after callback = %v, want connected", conn["status"])
	}
	if granted, _ := conn["granted_scopes"].([]any); !containsAny(granted, "devices.read") {
		t.Errorf("granted_scopes = %v, want devices.read among them", conn["granted_scopes"])
	}
	// The token response lists only the API's scopes, but the refresh token
	// shows that offline_access was granted.
	if missing, _ := conn["missing_scopes"].([]any); containsAny(missing, "offline_access") {
		t.Errorf("missing_scopes = %v, want offline_access not among them", conn["missing_scopes"])
	}

	// Calls through the proxy and invoke carry the access token, not the
	// caller's API token.
	proxyDevices := func(what string) {
		t.Helper()
		resp := call(t, "GET", v1+"/connections/acme_devices/proxy/devices", admin, nil)
		mustStatus(t, what, resp, http.StatusOK)
		if subject := resp.JSON(t)["subject"]; subject != "alice" {
			t.Fatalf("%s: subject = %v, want alice", what, subject)
		}
	}
	proxyDevices("proxy before expiry")

	resp = call(t, "GET", v1+"/connections/acme_devices/proxy/headers?x=1", admin, nil)
	mustStatus(t, "proxy headers", resp, http.StatusOK)
	if strings.Contains(string(resp.Body), testAdminToken) {
		t.Errorf("the upstream received the caller's API token: %s", resp.Body)
	}

	resp = call(t, "POST", v1+"/invoke", admin, map[string]any{
		"url": provider.APIBaseURL + "/echo", "type": "POST", "connection": "acme_devices",
		"headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]int{"n": 7},
	})
	mustStatus(t, "invoke", resp, http.StatusOK)
	var invoked struct {
		StatusCode int            `json:"status_code"`
		Body       oauthtest.Echo `json:"body"`
	}
	if err := json.Unmarshal(resp.Body, &invoked); err != nil {
		t.Fatalf("invoke response: %v\n%s", err, resp.Body)
	}
	if invoked.StatusCode != http.StatusOK || invoked.Body.Method != "POST" || string(invoked.Body.Body) != `{"n":7}` {
		t.Errorf("invoke = %s, want the upstream's 200 echo of POST {\"n\":7}", resp.Body)
	}

	refreshes := func() int {
		t.Helper()
		stats, err := provider.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return stats.TokenRequests["refresh_token"]
	}
	if n := refreshes(); n != 0 {
		t.Errorf("refresh requests before expiry = %d, want 0", n)
	}

	// Two expiries in a row: each costs one refresh, and the second only
	// works with rotation when the rotated refresh token was persisted.
	for i := 1; i <= 2; i++ {
		time.Sleep(accessTokenTTL + 300*time.Millisecond)
		proxyDevices("proxy after expiry")
		if n := refreshes(); n != i {
			t.Fatalf("refresh requests after expiry %d = %d, want %d", i, n, i)
		}
	}

	// A token the provider ended before its expiry: the upstream returns
	// 401, and plugboard refreshes once and retries.
	resp = call(t, "POST", v1+"/tokens", admin, map[string]any{"name": "sdk", "permissions": []string{"credentials:read"}})
	mustStatus(t, "create token", resp, http.StatusCreated)
	sdkToken, _ := resp.JSON(t)["token"].(string)
	resp = call(t, "GET", v1+"/connections/acme_devices/credential", admin, nil)
	mustStatus(t, "credential without permission", resp, http.StatusForbidden)
	resp = call(t, "GET", v1+"/connections/acme_devices/credential", sdkToken, nil)
	mustStatus(t, "credential", resp, http.StatusOK)
	accessToken, _ := resp.JSON(t)["access_token"].(string)
	if err := provider.ExpireAccessToken(ctx, accessToken); err != nil {
		t.Fatal(err)
	}
	proxyDevices("proxy after the provider revoked the access token")
	if n := refreshes(); n != 3 {
		t.Errorf("refresh requests after a 401 = %d, want 3", n)
	}

	// Revoke: the provider reports the token inactive, and the next call
	// fails with a clear error.
	resp = call(t, "GET", v1+"/connections/acme_devices/credential", sdkToken, nil)
	mustStatus(t, "credential before revoke", resp, http.StatusOK)
	accessToken, _ = resp.JSON(t)["access_token"].(string)
	if active, err := provider.TokenActive(ctx, accessToken); err != nil || !active {
		t.Fatalf("access token active before revoke = %v, %v; want true", active, err)
	}
	resp = call(t, "POST", v1+"/connections/acme_devices/revoke", admin, nil)
	mustStatus(t, "revoke", resp, http.StatusOK)
	if resp.JSON(t)["provider_revoked"] != true {
		t.Errorf("revoke = %s, want provider_revoked true", resp.Body)
	}
	if active, err := provider.TokenActive(ctx, accessToken); err != nil || active {
		t.Errorf("access token active after revoke = %v, %v; want false", active, err)
	}
	resp = call(t, "GET", v1+"/connections/acme_devices/proxy/devices", admin, nil)
	mustStatus(t, "proxy after revoke", resp, http.StatusConflict)
	if code := resp.JSON(t)["code"]; code != "connection_not_connected" {
		t.Errorf("proxy after revoke: code = %v, want connection_not_connected", code)
	}

	if err := inst.stop(t); err != nil {
		t.Errorf("plugboard exit after SIGTERM: %v", err)
	}
	logs := inst.logs.String()
	for _, secret := range []string{clientSecret, accessToken, sdkToken, testAdminToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("plugboard's log contains a secret (%d characters)", len(secret))
		}
	}
}

func containsAny(list []any, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}
