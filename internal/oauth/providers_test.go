package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
)

// catalogConfig returns a Config with the OAuth 2.0 settings of the default
// service key, its token and revocation URLs pointing at the endpoint.
func catalogConfig(t *testing.T, key string, e *endpoint) *Config {
	t.Helper()
	service, ok := catalog.Lookup(key)
	if !ok {
		t.Fatalf("catalog.Lookup(%q) found no service", key)
	}
	config := newTestConfig(e, service.OAuth2.TokenAuthMethod)
	settings := service.OAuth2
	settings.TokenURL = config.Settings.TokenURL
	settings.RevocationURL = config.Settings.RevocationURL
	config.Settings = settings
	return config
}

func TestProviderTokenResponses(t *testing.T) {
	tests := []struct {
		name        string
		service     string
		refresh     bool
		contentType string
		body        string
		want        Token
	}{
		{
			name:        "github form body",
			service:     "github",
			contentType: "application/x-www-form-urlencoded",
			body:        "access_token=gho_X&scope=repo%2Cgist&token_type=bearer",
			want:        Token{AccessToken: "gho_X", TokenType: "Bearer", Scopes: []string{"repo", "gist"}, ScopeReturned: true},
		},
		{
			name:        "expires_in string",
			service:     "google",
			contentType: "application/json",
			body:        `{"access_token":"ya29.a0","token_type":"Bearer","expires_in":"3599"}`,
			want:        Token{AccessToken: "ya29.a0", TokenType: "Bearer", Expiry: testNow.Add(3599 * time.Second)},
		},
		{
			name:        "lower-case bearer",
			service:     "microsoft",
			contentType: "application/json",
			body:        `{"access_token":"eyJ0eXAi","token_type":"bearer"}`,
			want:        Token{AccessToken: "eyJ0eXAi", TokenType: "Bearer"},
		},
		{
			name:        "refresh without refresh_token or expires_in",
			service:     "dropbox",
			refresh:     true,
			contentType: "application/json",
			body:        `{"access_token":"sl.B1","token_type":"bearer"}`,
			want:        Token{AccessToken: "sl.B1", TokenType: "Bearer"},
		},
		{
			name:        "zoho expires_in in milliseconds",
			service:     "zoho_crm",
			contentType: "application/json",
			body: `{"access_token":"1000.at","token_type":"Bearer","expires_in":3600000,"expires_in_sec":3600,` +
				`"api_domain":"https://www.zohoapis.com"}`,
			want: Token{AccessToken: "1000.at", TokenType: "Bearer", Expiry: testNow.Add(time.Hour),
				Extra: map[string]any{"api_domain": "https://www.zohoapis.com"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, tt.contentType, tt.body))
			config := catalogConfig(t, tt.service, e)

			var got *Token
			var err error
			if tt.refresh {
				got, err = config.Refresh(context.Background(), "rt-old")
			} else {
				got, err = config.Exchange(context.Background(), "code-1", "")
			}
			if err != nil {
				t.Fatalf("token request: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("token:\n got %#v\nwant %#v", fieldsOf(*got), fieldsOf(tt.want))
			}
			if got := e.only(t).header.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q, want application/json", got)
			}
		})
	}
}

func TestProviderErrorsInSuccessfulResponse(t *testing.T) {
	tests := []struct {
		name     string
		service  string
		body     string
		wantCode string
	}{
		{"github bad verification code", "github", `{"error":"bad_verification_code"}`, "bad_verification_code"},
		{"slack ok false", "slack", `{"ok":false,"error":"invalid_code"}`, "invalid_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", tt.body))

			_, err := catalogConfig(t, tt.service, e).Exchange(context.Background(), "code-1", "")
			var oauthErr *Error
			if !errors.As(err, &oauthErr) {
				t.Fatalf("Exchange error = %v, want an *Error", err)
			}
			if oauthErr.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", oauthErr.Code, tt.wantCode)
			}
			if oauthErr.StatusCode != http.StatusOK {
				t.Errorf("StatusCode = %d, want 200", oauthErr.StatusCode)
			}
		})
	}
}

func TestExpiresInInvalidString(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1","expires_in":"abc"}`))

	_, err := newTestConfig(e, "client_secret_post").Exchange(context.Background(), "code-1", "")
	if err == nil {
		t.Fatal("Exchange succeeded with expires_in \"abc\"")
	}
	for _, want := range []string{`invalid expires_in "abc"`, "non-negative decimal number of seconds"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Exchange error = %q, want it to contain %q", err, want)
		}
	}
	var oauthErr *Error
	if errors.As(err, &oauthErr) {
		t.Errorf("Exchange error is an *Error %v, want a parsing error", oauthErr)
	}
}

func TestExpiresInSec(t *testing.T) {
	tests := []struct {
		name     string
		members  string
		want     time.Duration
		wantText string // part of the error message when the response is rejected
	}{
		{name: "both present", members: `"expires_in":3600000,"expires_in_sec":3600`, want: time.Hour},
		{name: "both strings", members: `"expires_in":"3600000","expires_in_sec":"3600"`, want: time.Hour},
		{name: "only expires_in_sec", members: `"expires_in_sec":1800`, want: 30 * time.Minute},
		{name: "only expires_in", members: `"expires_in":1800`, want: 30 * time.Minute},
		{name: "expires_in_sec zero wins", members: `"expires_in":3600000,"expires_in_sec":0`, want: 0},
		{name: "expires_in_sec null", members: `"expires_in":1800,"expires_in_sec":null`, want: 30 * time.Minute},
		{name: "expires_in_sec empty", members: `"expires_in":1800,"expires_in_sec":" "`, want: 30 * time.Minute},
		{name: "expires_in_sec invalid", members: `"expires_in":1800,"expires_in_sec":"soon"`, want: 30 * time.Minute},
		{name: "expires_in_sec invalid alone", members: `"expires_in_sec":"soon"`, wantText: `invalid expires_in_sec "soon"`},
		{name: "expires_in_sec negative alone", members: `"expires_in_sec":-5`, wantText: "invalid expires_in_sec"},
		{name: "both invalid", members: `"expires_in":"later","expires_in_sec":"soon"`, wantText: `invalid expires_in "later"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"access_token":"at-1",` + tt.members + `}`
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", body))

			got, err := newTestConfig(e, "client_secret_post").Exchange(context.Background(), "code-1", "")
			if tt.wantText != "" {
				if err == nil {
					t.Fatalf("Exchange = %v, want an error", got)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("Exchange error = %q, want it to contain %q", err, tt.wantText)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			var want time.Time
			if tt.want > 0 {
				want = testNow.Add(tt.want)
			}
			if !got.Expiry.Equal(want) {
				t.Errorf("Expiry = %v, want %v", got.Expiry, want)
			}
			if _, found := got.Extra["expires_in_sec"]; found {
				t.Error("Extra has expires_in_sec, want it interpreted")
			}
		})
	}
}

func TestProviderAuthorizationURLs(t *testing.T) {
	tests := []struct {
		service   string
		scopes    []string
		wantScope string // "" means no scope parameter
		wantQuery map[string]string
	}{
		{service: "slack", scopes: []string{"chat:write", "channels:read"}, wantScope: "chat:write,channels:read"},
		{service: "microsoft", scopes: []string{"offline_access", "User.Read"}, wantScope: "offline_access User.Read"},
		{service: "slack", scopes: nil},
		{service: "microsoft", scopes: []string{}},
		{
			service:   "google",
			scopes:    []string{"openid", "email"},
			wantScope: "openid email",
			wantQuery: map[string]string{"access_type": "offline", "prompt": "consent"},
		},
		{
			service:   "dropbox",
			scopes:    []string{"files.content.read"},
			wantScope: "files.content.read",
			wantQuery: map[string]string{"token_access_type": "offline"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.service+"/"+strings.Join(tt.scopes, "+"), func(t *testing.T) {
			service, ok := catalog.Lookup(tt.service)
			if !ok {
				t.Fatalf("catalog.Lookup(%q) found no service", tt.service)
			}
			config := &Config{
				Settings:    service.OAuth2,
				Client:      Client{ID: "client-id", Secret: "client-secret"},
				RedirectURI: "http://127.0.0.1:8080/oauth/callback",
			}

			raw := config.AuthorizationURL("state-1", tt.scopes, "")
			parsed, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("parsing %q: %v", raw, err)
			}
			query := parsed.Query()
			if tt.wantScope == "" {
				if query.Has("scope") {
					t.Errorf("scope = %q, want no scope parameter", query["scope"])
				}
			} else if got := query["scope"]; len(got) != 1 || got[0] != tt.wantScope {
				t.Errorf("scope = %q, want %q", got, tt.wantScope)
			}
			for name, want := range tt.wantQuery {
				if got := query[name]; len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestRedirectURIUnchanged(t *testing.T) {
	redirectURIs := []string{
		"http://127.0.0.1:8080/oauth/callback",
		"https://Plugboard.Example.test:8443/pb/oauth/callback/",
		"https://plugboard.example.test/a%7Eb/oauth/callback",
		"https://plugboard.example.test/oauth/callback?tenant=a+b&x=%2F",
	}
	for _, redirectURI := range redirectURIs {
		t.Run(redirectURI, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
			config := newTestConfig(e, "client_secret_basic")
			config.RedirectURI = redirectURI

			authURL, err := url.Parse(config.AuthorizationURL("state-1", []string{"read"}, ""))
			if err != nil {
				t.Fatalf("parsing authorization URL: %v", err)
			}
			if got := authURL.Query()["redirect_uri"]; len(got) != 1 || got[0] != redirectURI {
				t.Errorf("authorization URL redirect_uri = %q, want %q", got, redirectURI)
			}

			if _, err := config.Exchange(context.Background(), "code-1", ""); err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if got := e.only(t).form["redirect_uri"]; len(got) != 1 || got[0] != redirectURI {
				t.Errorf("token request redirect_uri = %q, want %q", got, redirectURI)
			}
		})
	}
}
