package oauthtest_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/plugboard/plugboard/internal/oauthtest"
)

const (
	// registeredRedirectURI is a loopback URI, so it matches on any port.
	registeredRedirectURI = "http://127.0.0.1/callback"
	redirectURI           = "http://127.0.0.1:8765/callback"
	// specialSecret needs form encoding in a Basic header (RFC 6749 section 2.3.1).
	specialSecret = "s3cret +/:%&=x"
)

var basicClient = oauthtest.Client{
	ID:           "basic-client",
	Secret:       specialSecret,
	AuthMethod:   oauthtest.AuthMethodBasic,
	RedirectURIs: []string{registeredRedirectURI},
}

var postClient = oauthtest.Client{
	ID:           "post-client",
	Secret:       specialSecret,
	AuthMethod:   oauthtest.AuthMethodPost,
	RedirectURIs: []string{registeredRedirectURI},
}

type devicesResponse struct {
	Devices []struct {
		ID string `json:"id"`
	} `json:"devices"`
	Subject string `json:"subject"`
	Scope   string `json:"scope"`
}

func startProvider(t *testing.T, opts oauthtest.Options) *oauthtest.Provider {
	t.Helper()
	start := time.Now()
	p := oauthtest.Start(t, opts)
	t.Logf("provider ready in %v", time.Since(start).Round(time.Millisecond))
	return p
}

func oauthConfig(p *oauthtest.Provider, client oauthtest.Client, scopes ...string) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if client.AuthMethod == oauthtest.AuthMethodPost {
		style = oauth2.AuthStyleInParams
	}
	if len(scopes) == 0 {
		scopes = []string{"openid", "offline_access", "devices.read"}
	}
	return &oauth2.Config{
		ClientID:     client.ID,
		ClientSecret: client.Secret,
		Endpoint:     p.Endpoint(style),
		RedirectURL:  redirectURI,
		Scopes:       scopes,
	}
}

// authorize runs the authorization code flow with PKCE as alice and returns
// the token response.
func authorize(t *testing.T, p *oauthtest.Provider, config *oauth2.Config, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state := rand.Text()
	authURL := config.AuthCodeURL(state, append(opts, oauth2.S256ChallengeOption(verifier))...)

	callback, err := p.Authorize(t.Context(), authURL, "alice", "wonderland")
	if err != nil {
		t.Fatalf("Authorize() error = %v", err)
	}
	query := callback.Query()
	if got := query.Get("error"); got != "" {
		t.Fatalf("callback error = %q (%s), want none", got, query.Get("error_description"))
	}
	if got := query.Get("state"); got != state {
		t.Fatalf("callback state = %q, want %q", got, state)
	}
	if got, want := callback.Host, "127.0.0.1:8765"; got != want {
		t.Errorf("callback host = %q, want %q", got, want)
	}

	token, err := config.Exchange(t.Context(), query.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange() error = %v", err)
	}
	return token
}

func getDevices(t *testing.T, p *oauthtest.Provider, accessToken string) (int, devicesResponse, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.APIBaseURL+"/devices", nil)
	if err != nil {
		t.Fatal(err)
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /api/devices: %v", err)
	}
	defer resp.Body.Close()

	var body devicesResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("decoding /api/devices response: %v", err)
		}
	}
	return resp.StatusCode, body, resp.Header.Get("WWW-Authenticate")
}

// postForm sends a form to an endpoint with client authentication as method
// and returns the status and the decoded JSON body.
func postForm(t *testing.T, endpoint string, client oauthtest.Client, method string, form url.Values) (int, map[string]any) {
	t.Helper()
	form = cloneValues(form)
	if method == oauthtest.AuthMethodPost {
		form.Set("client_id", client.ID)
		form.Set("client_secret", client.Secret)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if method == oauthtest.AuthMethodBasic {
		req.SetBasicAuth(url.QueryEscape(client.ID), url.QueryEscape(client.Secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()

	body := map[string]any{}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s response: %v", endpoint, err)
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &body); err != nil {
			t.Fatalf("decoding %s response %q: %v", endpoint, data, err)
		}
	}
	return resp.StatusCode, body
}

// oauthError returns the OAuth error members of a response body, so that test
// output never shows a token.
func oauthError(body map[string]any) string {
	return fmt.Sprintf("error=%v, error_description=%v", body["error"], body["error_description"])
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for key, values := range v {
		c[key] = append([]string{}, values...)
	}
	return c
}

func tokenActive(t *testing.T, p *oauthtest.Provider, token string) bool {
	t.Helper()
	active, err := p.TokenActive(t.Context(), token)
	if err != nil {
		t.Fatalf("TokenActive() error = %v", err)
	}
	return active
}

func stats(t *testing.T, p *oauthtest.Provider) oauthtest.Stats {
	t.Helper()
	got, err := p.Stats(t.Context())
	if err != nil {
		t.Fatalf("Stats() error = %v", err)
	}
	return got
}

func TestAuthorizationCodeFlow(t *testing.T) {
	tests := []struct {
		name   string
		client oauthtest.Client
	}{
		{"client_secret_basic", basicClient},
		{"client_secret_post", postClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{tt.client}})
			config := oauthConfig(p, tt.client)

			token := authorize(t, p, config)
			if token.RefreshToken == "" {
				t.Error("token response has no refresh token")
			}
			if got, want := token.Extra("scope"), "devices.read"; got != want {
				t.Errorf("granted scope = %v, want %q", got, want)
			}
			status, devices, _ := getDevices(t, p, token.AccessToken)
			if status != http.StatusOK {
				t.Fatalf("GET /api/devices status = %d, want 200", status)
			}
			if devices.Subject != "alice" {
				t.Errorf("API subject = %q, want alice", devices.Subject)
			}
			if devices.Scope != "devices.read" {
				t.Errorf("API scope = %q, want devices.read", devices.Scope)
			}
			if len(devices.Devices) == 0 {
				t.Error("API returned no devices")
			}
			got := stats(t, p)
			if got.TokenRequests["authorization_code"] != 1 {
				t.Errorf("authorization_code requests = %d, want 1", got.TokenRequests["authorization_code"])
			}
			if got.LastTokenAuthMethod != tt.client.AuthMethod {
				t.Errorf("last token auth method = %q, want %q", got.LastTokenAuthMethod, tt.client.AuthMethod)
			}

			refreshed, err := config.TokenSource(t.Context(), &oauth2.Token{RefreshToken: token.RefreshToken}).Token()
			if err != nil {
				t.Fatalf("refreshing: %v", err)
			}
			if refreshed.AccessToken == token.AccessToken {
				t.Error("refresh returned the old access token")
			}
			if status, _, _ := getDevices(t, p, refreshed.AccessToken); status != http.StatusOK {
				t.Errorf("GET /api/devices with refreshed token status = %d, want 200", status)
			}
			if got := stats(t, p).TokenRequests["refresh_token"]; got != 1 {
				t.Errorf("refresh_token requests = %d, want 1", got)
			}

			form := url.Values{"token": {refreshed.RefreshToken}, "token_type_hint": {"refresh_token"}}
			if status, body := postForm(t, p.RevocationURL, tt.client, tt.client.AuthMethod, form); status != http.StatusOK {
				t.Fatalf("revocation status = %d (%s), want 200", status, oauthError(body))
			}
			if tokenActive(t, p, refreshed.RefreshToken) {
				t.Error("refresh token active after revocation")
			}
			if tokenActive(t, p, refreshed.AccessToken) {
				t.Error("access token of the revoked grant still active")
			}
			status, _, challenge := getDevices(t, p, refreshed.AccessToken)
			if status != http.StatusUnauthorized {
				t.Errorf("GET /api/devices after revocation status = %d, want 401", status)
			}
			if !strings.Contains(challenge, `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q, want error=\"invalid_token\"", challenge)
			}
			if got := stats(t, p).Revocations; got != 1 {
				t.Errorf("revocations = %d, want 1", got)
			}
		})
	}
}

func TestClientAuthMethodEnforced(t *testing.T) {
	t.Parallel()
	p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient, postClient}})

	tests := []struct {
		name       string
		client     oauthtest.Client
		method     string
		wantStatus int
	}{
		{"basic client with basic", basicClient, oauthtest.AuthMethodBasic, http.StatusOK},
		{"basic client with post", basicClient, oauthtest.AuthMethodPost, http.StatusUnauthorized},
		{"post client with post", postClient, oauthtest.AuthMethodPost, http.StatusOK},
		{"post client with basic", postClient, oauthtest.AuthMethodBasic, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"devices.read"}}
			status, body := postForm(t, p.TokenURL, tt.client, tt.method, form)
			if status != tt.wantStatus {
				t.Fatalf("token status = %d (%s), want %d", status, oauthError(body), tt.wantStatus)
			}
			if got := stats(t, p).LastTokenAuthMethod; got != tt.method {
				t.Errorf("last token auth method = %q, want %q", got, tt.method)
			}
			if status != http.StatusOK {
				if body["error"] != "invalid_client" {
					t.Errorf("error = %v, want invalid_client", body["error"])
				}
				return
			}
			accessToken, _ := body["access_token"].(string)
			status, devices, _ := getDevices(t, p, accessToken)
			if status != http.StatusOK {
				t.Fatalf("GET /api/devices with client credentials token status = %d, want 200", status)
			}
			if devices.Subject != "" {
				t.Errorf("API subject = %q, want none", devices.Subject)
			}
		})
	}

	t.Run("revocation with the other method", func(t *testing.T) {
		form := url.Values{"token": {"unknown"}}
		status, body := postForm(t, p.RevocationURL, basicClient, oauthtest.AuthMethodPost, form)
		if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("revocation = %d (%s), want 401 invalid_client", status, oauthError(body))
		}
	})
	t.Run("introspection with the other method", func(t *testing.T) {
		form := url.Values{"token": {"unknown"}}
		status, body := postForm(t, p.IntrospectionURL, postClient, oauthtest.AuthMethodBasic, form)
		if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("introspection = %d (%s), want 401 invalid_client", status, oauthError(body))
		}
	})
}

func TestBasicHeaderEncoding(t *testing.T) {
	t.Parallel()
	p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient}})

	tests := []struct {
		name       string
		encode     bool
		wantStatus int
	}{
		{"form-encoded", true, http.StatusOK},
		{"raw", false, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"devices.read"}}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.encode {
				req.SetBasicAuth(url.QueryEscape(basicClient.ID), url.QueryEscape(basicClient.Secret))
			} else {
				req.SetBasicAuth(basicClient.ID, basicClient.Secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("POST /token: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("token status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}
}

func TestRefreshTokenIssued(t *testing.T) {
	t.Parallel()
	p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient}})

	tests := []struct {
		name        string
		scopes      []string
		prompt      string
		wantRefresh bool
	}{
		{"offline_access", []string{"openid", "offline_access", "devices.read"}, "", true},
		{"offline_access and prompt consent", []string{"openid", "offline_access", "devices.read"}, "consent", true},
		{"offline_access without openid", []string{"offline_access", "devices.read"}, "", true},
		{"no offline_access", []string{"openid", "devices.read"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []oauth2.AuthCodeOption
			if tt.prompt != "" {
				opts = append(opts, oauth2.SetAuthURLParam("prompt", tt.prompt))
			}
			token := authorize(t, p, oauthConfig(p, basicClient, tt.scopes...), opts...)
			if got := token.RefreshToken != ""; got != tt.wantRefresh {
				t.Errorf("refresh token issued = %v, want %v", got, tt.wantRefresh)
			}
			if status, _, _ := getDevices(t, p, token.AccessToken); status != http.StatusOK {
				t.Errorf("GET /api/devices status = %d, want 200", status)
			}
		})
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	tests := []struct {
		name   string
		rotate bool
	}{
		{"rotating", true},
		{"not rotating", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient}, RotateRefreshTokens: tt.rotate})
			form := func(refreshToken string) url.Values {
				return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
			}
			old := authorize(t, p, oauthConfig(p, basicClient)).RefreshToken

			status, body := postForm(t, p.TokenURL, basicClient, oauthtest.AuthMethodBasic, form(old))
			if status != http.StatusOK {
				t.Fatalf("first refresh status = %d (%s), want 200", status, oauthError(body))
			}
			if got := body["refresh_token"] != old; got != tt.rotate {
				t.Errorf("new refresh token issued = %v, want %v", got, tt.rotate)
			}

			status, body = postForm(t, p.TokenURL, basicClient, oauthtest.AuthMethodBasic, form(old))
			wantStatus := http.StatusOK
			if tt.rotate {
				wantStatus = http.StatusBadRequest
			}
			if status != wantStatus {
				t.Fatalf("refresh with the first refresh token again status = %d (%s), want %d", status, oauthError(body), wantStatus)
			}
			if tt.rotate && body["error"] != "invalid_grant" {
				t.Errorf("reuse error = %v, want invalid_grant", body["error"])
			}
		})
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	t.Parallel()
	p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient}, AccessTokenTTL: 2 * time.Second})
	config := oauthConfig(p, basicClient)

	token := authorize(t, p, config)
	if got := token.ExpiresIn; got != 2 {
		t.Errorf("expires_in = %d, want 2", got)
	}
	if status, _, _ := getDevices(t, p, token.AccessToken); status != http.StatusOK {
		t.Fatalf("GET /api/devices before expiry status = %d, want 200", status)
	}

	// The provider compares expiry in whole seconds.
	time.Sleep(time.Until(token.Expiry) + 1100*time.Millisecond)
	status, _, challenge := getDevices(t, p, token.AccessToken)
	if status != http.StatusUnauthorized {
		t.Errorf("GET /api/devices after expiry status = %d, want 401", status)
	}
	if !strings.Contains(challenge, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate = %q, want error=\"invalid_token\"", challenge)
	}
	if tokenActive(t, p, token.AccessToken) {
		t.Error("expired access token active")
	}

	refreshed, err := config.TokenSource(t.Context(), token).Token()
	if err != nil {
		t.Fatalf("refreshing after expiry: %v", err)
	}
	if status, _, _ := getDevices(t, p, refreshed.AccessToken); status != http.StatusOK {
		t.Errorf("GET /api/devices with refreshed token status = %d, want 200", status)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient}})
	config := oauthConfig(p, basicClient)

	t.Run("wrong password", func(t *testing.T) {
		authURL := config.AuthCodeURL("state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
		_, err := p.Authorize(t.Context(), authURL, "alice", "builder")
		if !errors.Is(err, oauthtest.ErrLoginRejected) {
			t.Errorf("Authorize() error = %v, want ErrLoginRejected", err)
		}
	})
	t.Run("missing PKCE", func(t *testing.T) {
		callback, err := p.Authorize(t.Context(), config.AuthCodeURL("state"), "alice", "wonderland")
		if err != nil {
			t.Fatalf("Authorize() error = %v", err)
		}
		if got := callback.Query().Get("error"); got != "invalid_request" {
			t.Errorf("callback error = %q, want invalid_request", got)
		}
	})
	t.Run("unregistered redirect URI", func(t *testing.T) {
		other := *config
		other.RedirectURL = "http://127.0.0.1:8765/other"
		authURL := other.AuthCodeURL("state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
		_, err := p.Authorize(t.Context(), authURL, "alice", "wonderland")
		if err == nil || !strings.Contains(err.Error(), "redirect_uri") {
			t.Errorf("Authorize() error = %v, want one naming redirect_uri", err)
		}
	})
	t.Run("other host", func(t *testing.T) {
		_, err := p.Authorize(t.Context(), "http://127.0.0.1:1/auth", "alice", "wonderland")
		if err == nil {
			t.Error("Authorize() error = nil, want an error for a URL off the provider")
		}
	})
}

func TestAPIEcho(t *testing.T) {
	t.Parallel()
	p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient}})
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"devices.read devices.write"}}
	status, body := postForm(t, p.TokenURL, basicClient, oauthtest.AuthMethodBasic, form)
	if status != http.StatusOK {
		t.Fatalf("token status = %d (%s), want 200", status, oauthError(body))
	}
	accessToken, _ := body["access_token"].(string)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, p.APIBaseURL+"/echo?page=2", bytes.NewReader([]byte(`{"device":"pump-7"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Trace", "a")
	req.Header.Add("X-Trace", "b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT /api/echo: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /api/echo status = %d, want 200", resp.StatusCode)
	}
	var echo oauthtest.Echo
	if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil {
		t.Fatalf("decoding echo: %v", err)
	}

	if echo.Method != http.MethodPut {
		t.Errorf("method = %q, want PUT", echo.Method)
	}
	if echo.Path != "/api/echo" {
		t.Errorf("path = %q, want /api/echo", echo.Path)
	}
	if echo.Query != "page=2" {
		t.Errorf("query = %q, want page=2", echo.Query)
	}
	if got := strings.Join(echo.Headers["x-trace"], ","); got != "a,b" {
		t.Errorf("x-trace headers = %q, want a,b", got)
	}
	if got, want := strings.Join(echo.Headers["authorization"], ","), "Bearer "+accessToken; got != want {
		t.Errorf("authorization header not echoed as sent")
	}
	if got := string(echo.Body); got != `{"device":"pump-7"}` {
		t.Errorf("body = %s, want {\"device\":\"pump-7\"}", got)
	}

	t.Run("missing token", func(t *testing.T) {
		resp, err := http.Post(p.APIBaseURL+"/echo", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatalf("POST /api/echo: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", resp.StatusCode)
		}
		if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
			t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
		}
	})
}

func TestResourceIndicator(t *testing.T) {
	t.Parallel()
	p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient}})
	config := oauthConfig(p, basicClient)

	t.Run("explicit resource", func(t *testing.T) {
		token := authorize(t, p, config, oauth2.SetAuthURLParam("resource", p.Resource))
		if status, _, _ := getDevices(t, p, token.AccessToken); status != http.StatusOK {
			t.Errorf("GET /api/devices status = %d, want 200", status)
		}
	})
	t.Run("unknown resource", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		authURL := config.AuthCodeURL("state", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", "http://127.0.0.1:1/other"))
		callback, err := p.Authorize(t.Context(), authURL, "alice", "wonderland")
		if err != nil {
			t.Fatalf("Authorize() error = %v", err)
		}
		if got := callback.Query().Get("error"); got != "invalid_target" {
			t.Errorf("callback error = %q, want invalid_target", got)
		}
	})
}

func TestDevicesScope(t *testing.T) {
	t.Parallel()
	p := startProvider(t, oauthtest.Options{Clients: []oauthtest.Client{basicClient}})

	tests := []struct {
		scope      string
		wantStatus int
	}{
		{"devices.read", http.StatusOK},
		{"devices.write", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {tt.scope}}
			status, body := postForm(t, p.TokenURL, basicClient, oauthtest.AuthMethodBasic, form)
			if status != http.StatusOK {
				t.Fatalf("token status = %d (%s), want 200", status, oauthError(body))
			}
			accessToken, _ := body["access_token"].(string)
			if got, _, _ := getDevices(t, p, accessToken); got != tt.wantStatus {
				t.Errorf("GET /api/devices status = %d, want %d", got, tt.wantStatus)
			}
		})
	}
}
