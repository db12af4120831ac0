package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
)

func TestAuthorizationURL(t *testing.T) {
	pkceOff := false
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])

	tests := []struct {
		name     string
		settings catalog.OAuth2Settings
		scopes   []string
		verifier string
		want     url.Values
	}{
		{
			name:     "pkce and space separator",
			settings: catalog.OAuth2Settings{AuthorizationURL: "https://auth.example.test/authorize"},
			scopes:   []string{"openid", "devices.read"},
			verifier: verifier,
			want: url.Values{
				"response_type":         {"code"},
				"client_id":             {"client-id"},
				"redirect_uri":          {"http://127.0.0.1:8080/oauth/callback"},
				"state":                 {"state-1"},
				"scope":                 {"openid devices.read"},
				"code_challenge":        {challenge},
				"code_challenge_method": {"S256"},
			},
		},
		{
			name: "comma separator and pkce off",
			settings: catalog.OAuth2Settings{
				AuthorizationURL: "https://auth.example.test/authorize",
				PKCE:             &pkceOff,
				ScopeSeparator:   ",",
			},
			scopes:   []string{"chat:write", "commands"},
			verifier: verifier,
			want: url.Values{
				"response_type": {"code"},
				"client_id":     {"client-id"},
				"redirect_uri":  {"http://127.0.0.1:8080/oauth/callback"},
				"state":         {"state-1"},
				"scope":         {"chat:write,commands"},
			},
		},
		{
			name: "authorization params without overrides",
			settings: catalog.OAuth2Settings{
				AuthorizationURL: "https://auth.example.test/authorize",
				AuthorizationParams: map[string]string{
					"prompt":         "consent",
					"access_type":    "offline",
					"client_id":      "other-client",
					"redirect_uri":   "https://evil.example.test/",
					"state":          "fixed",
					"code_challenge": "fixed",
				},
			},
			want: url.Values{
				"response_type": {"code"},
				"client_id":     {"client-id"},
				"redirect_uri":  {"http://127.0.0.1:8080/oauth/callback"},
				"state":         {"state-1"},
				"prompt":        {"consent"},
				"access_type":   {"offline"},
			},
		},
		{
			name:     "existing query kept",
			settings: catalog.OAuth2Settings{AuthorizationURL: "https://auth.example.test/authorize?tenant=acme"},
			scopes:   []string{"read"},
			want: url.Values{
				"tenant":        {"acme"},
				"response_type": {"code"},
				"client_id":     {"client-id"},
				"redirect_uri":  {"http://127.0.0.1:8080/oauth/callback"},
				"state":         {"state-1"},
				"scope":         {"read"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := &Config{
				Settings:    &tt.settings,
				Client:      Client{ID: "client-id", Secret: "client-secret"},
				RedirectURI: "http://127.0.0.1:8080/oauth/callback",
			}

			raw := config.AuthorizationURL("state-1", tt.scopes, tt.verifier)
			got, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("parsing %q: %v", raw, err)
			}
			if got.Scheme != "https" || got.Host != "auth.example.test" || got.Path != "/authorize" {
				t.Errorf("URL = %q, want it on https://auth.example.test/authorize", raw)
			}
			query := got.Query()
			if len(query) != len(tt.want) {
				t.Errorf("query = %v, want %v", query, tt.want)
			}
			for name, want := range tt.want {
				if values := query[name]; len(values) != 1 || values[0] != want[0] {
					t.Errorf("query %s = %q, want %q", name, values, want)
				}
			}
			if query.Has("client_secret") {
				t.Error("authorization URL contains client_secret")
			}
		})
	}
}

func TestGenerateState(t *testing.T) {
	first, err := GenerateState()
	if err != nil {
		t.Fatalf("GenerateState: %v", err)
	}
	second, err := GenerateState()
	if err != nil {
		t.Fatalf("GenerateState: %v", err)
	}
	if first == second {
		t.Errorf("GenerateState returned %q twice", first)
	}
	decoded, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		t.Fatalf("state %q is not unpadded base64url: %v", first, err)
	}
	if len(decoded) != 32 {
		t.Errorf("state has %d random bytes, want 32", len(decoded))
	}
}

func TestGenerateVerifier(t *testing.T) {
	verifier := GenerateVerifier()
	// RFC 7636 section 4.1: 43 to 128 characters.
	if len(verifier) != 43 {
		t.Errorf("verifier length = %d, want 43", len(verifier))
	}
	if GenerateVerifier() == verifier {
		t.Error("GenerateVerifier returned the same verifier twice")
	}
}
