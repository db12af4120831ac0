package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExchangeNormalizesResponse(t *testing.T) {
	tests := []struct {
		name        string
		separator   string
		contentType string
		body        string
		want        Token
	}{
		{
			name:        "json number expires_in",
			contentType: "application/json",
			body:        `{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1","scope":"a b"}`,
			want: Token{AccessToken: "at-1", TokenType: "Bearer", RefreshToken: "rt-1",
				Expiry: testNow.Add(time.Hour), Scopes: []string{"a", "b"}, ScopeReturned: true},
		},
		{
			name:        "json string expires_in",
			contentType: "application/json; charset=utf-8",
			body:        `{"access_token":"at-1","token_type":"Bearer","expires_in":" 3600 "}`,
			want:        Token{AccessToken: "at-1", TokenType: "Bearer", Expiry: testNow.Add(time.Hour)},
		},
		{
			name:        "absent expires_in",
			contentType: "application/json",
			body:        `{"access_token":"at-1","token_type":"Bearer"}`,
			want:        Token{AccessToken: "at-1", TokenType: "Bearer"},
		},
		{
			name:        "null expires_in",
			contentType: "application/json",
			body:        `{"access_token":"at-1","expires_in":null}`,
			want:        Token{AccessToken: "at-1"},
		},
		{
			name:        "zero expires_in",
			contentType: "application/json",
			body:        `{"access_token":"at-1","expires_in":0}`,
			want:        Token{AccessToken: "at-1"},
		},
		{
			name:        "fractional expires_in",
			contentType: "application/json",
			body:        `{"access_token":"at-1","expires_in":1.5}`,
			want:        Token{AccessToken: "at-1", Expiry: testNow.Add(1500 * time.Millisecond)},
		},
		{
			name:        "huge expires_in capped",
			contentType: "application/json",
			body:        `{"access_token":"at-1","expires_in":100000000000000000000}`,
			want:        Token{AccessToken: "at-1", Expiry: testNow.Add(maxExpiresIn * time.Second)},
		},
		{
			name:        "uppercase token type",
			contentType: "application/json",
			body:        `{"access_token":"at-1","token_type":"BEARER"}`,
			want:        Token{AccessToken: "at-1", TokenType: "Bearer"},
		},
		{
			name:        "dpop token type",
			contentType: "application/json",
			body:        `{"access_token":"at-1","token_type":"dpop"}`,
			want:        Token{AccessToken: "at-1", TokenType: "DPoP"},
		},
		{
			name:        "form encoded",
			contentType: "application/x-www-form-urlencoded",
			body:        "access_token=at-1&token_type=bearer&expires_in=28800&refresh_token=rt-1&scope=repo%2Cgist",
			want: Token{AccessToken: "at-1", TokenType: "Bearer", RefreshToken: "rt-1",
				Expiry: testNow.Add(8 * time.Hour), Scopes: []string{"repo", "gist"}, ScopeReturned: true},
		},
		{
			name:        "text plain form",
			contentType: "text/plain; charset=utf-8",
			body:        "access_token=at-1&token_type=bearer&scope=user",
			want:        Token{AccessToken: "at-1", TokenType: "Bearer", Scopes: []string{"user"}, ScopeReturned: true},
		},
		{
			name:        "form without content type",
			contentType: "",
			body:        "access_token=at-1&token_type=bearer",
			want:        Token{AccessToken: "at-1", TokenType: "Bearer"},
		},
		{
			name:        "json labeled text plain",
			contentType: "text/plain",
			body:        `{"access_token":"at-1","token_type":"bearer","expires_in":60}`,
			want:        Token{AccessToken: "at-1", TokenType: "Bearer", Expiry: testNow.Add(time.Minute)},
		},
		{
			name:        "comma separator service",
			separator:   ",",
			contentType: "application/json",
			body:        `{"access_token":"at-1","scope":"read, write,,admin"}`,
			want:        Token{AccessToken: "at-1", Scopes: []string{"read", "write", "admin"}, ScopeReturned: true},
		},
		{
			name:        "comma separator keeps spaces inside scope",
			separator:   ",",
			contentType: "application/json",
			body:        `{"access_token":"at-1","scope":"a b,c"}`,
			want:        Token{AccessToken: "at-1", Scopes: []string{"a b", "c"}, ScopeReturned: true},
		},
		{
			name:        "scope as array",
			contentType: "application/json",
			body:        `{"access_token":"at-1","scope":["openid","devices.read"]}`,
			want:        Token{AccessToken: "at-1", Scopes: []string{"openid", "devices.read"}, ScopeReturned: true},
		},
		{
			name:        "empty scope is returned",
			contentType: "application/json",
			body:        `{"access_token":"at-1","scope":""}`,
			want:        Token{AccessToken: "at-1", Scopes: []string{}, ScopeReturned: true},
		},
		{
			name:        "unknown members kept",
			contentType: "application/json",
			body: `{"access_token":"at-1","token_type":"Bearer","api_domain":"https://www.zohoapis.eu",` +
				`"instance_url":"https://acme.my.salesforce.com","issued_at":"1700000000000","x_count":7,"nested":{"k":true}}`,
			want: Token{AccessToken: "at-1", TokenType: "Bearer", Extra: map[string]any{
				"api_domain":   "https://www.zohoapis.eu",
				"instance_url": "https://acme.my.salesforce.com",
				"issued_at":    "1700000000000",
				"x_count":      json.Number("7"),
				"nested":       map[string]any{"k": true},
			}},
		},
		{
			name:        "form unknown members kept",
			contentType: "application/x-www-form-urlencoded",
			body:        "access_token=at-1&api_domain=https%3A%2F%2Fwww.zohoapis.com",
			want:        Token{AccessToken: "at-1", Extra: map[string]any{"api_domain": "https://www.zohoapis.com"}},
		},
		{
			name:        "slack success",
			separator:   ",",
			contentType: "application/json",
			body:        `{"ok":true,"access_token":"xoxb-1","token_type":"bot","scope":"commands,chat:write","bot_user_id":"U1"}`,
			want: Token{AccessToken: "xoxb-1", TokenType: "bot", Scopes: []string{"commands", "chat:write"},
				ScopeReturned: true, Extra: map[string]any{"bot_user_id": "U1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, tt.contentType, tt.body))
			config := newTestConfig(e, "client_secret_basic")
			config.Settings.ScopeSeparator = tt.separator

			got, err := config.Exchange(context.Background(), "code-1", "")
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Exchange token:\n got %#v\nwant %#v", fieldsOf(*got), fieldsOf(tt.want))
			}
		})
	}
}

// fieldsOf returns the token's fields as a map, so a failing test can print
// the values that Token's own formatting redacts.
func fieldsOf(token Token) map[string]any {
	return map[string]any{
		"AccessToken":   token.AccessToken,
		"TokenType":     token.TokenType,
		"RefreshToken":  token.RefreshToken,
		"Expiry":        token.Expiry,
		"Scopes":        token.Scopes,
		"ScopeReturned": token.ScopeReturned,
		"Extra":         token.Extra,
	}
}

func TestExchangeResponseErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        *Error // nil when the error is not an *Error
	}{
		{
			name:        "github error in 200",
			status:      http.StatusOK,
			contentType: "application/json",
			body: `{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.",` +
				`"error_uri":"https://docs.github.com/apps/troubleshooting"}`,
			want: &Error{Code: "bad_verification_code", Description: "The code passed is incorrect or expired.",
				URI: "https://docs.github.com/apps/troubleshooting", StatusCode: 200},
		},
		{
			name:        "github form error in 200",
			status:      http.StatusOK,
			contentType: "application/x-www-form-urlencoded",
			body:        "error=bad_verification_code&error_description=The+code+passed+is+incorrect",
			want:        &Error{Code: "bad_verification_code", Description: "The code passed is incorrect", StatusCode: 200},
		},
		{
			name:        "error next to access token in 200",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret","error":"invalid_scope"}`,
			want:        &Error{Code: "invalid_scope", StatusCode: 200},
		},
		{
			name:        "slack ok false",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"ok":false,"error":"invalid_code"}`,
			want:        &Error{Code: "invalid_code", StatusCode: 200},
		},
		{
			name:        "ok false without error",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"ok":false}`,
			want:        &Error{Description: `response has "ok": false`, StatusCode: 200},
		},
		{
			name:        "rfc 6749 invalid_grant",
			status:      http.StatusBadRequest,
			contentType: "application/json",
			body:        `{"error":"invalid_grant","error_description":"grant request is invalid"}`,
			want:        &Error{Code: "invalid_grant", Description: "grant request is invalid", StatusCode: 400},
		},
		{
			name:        "facebook error object",
			status:      http.StatusBadRequest,
			contentType: "application/json",
			body:        `{"error":{"message":"This authorization code has been used.","type":"OAuthException","code":100}}`,
			want:        &Error{Description: "This authorization code has been used.", StatusCode: 400},
		},
		{
			name:        "html 503",
			status:      http.StatusServiceUnavailable,
			contentType: "text/html",
			body:        "<html>maintenance</html>",
			want:        &Error{StatusCode: 503},
		},
		{
			name:        "failure status with token body",
			status:      http.StatusUnauthorized,
			contentType: "application/json",
			body:        `{"access_token":"at-secret","refresh_token":"rt-secret"}`,
			want:        &Error{StatusCode: 401},
		},
		{
			name:        "failure status with invalid json",
			status:      http.StatusBadGateway,
			contentType: "application/json",
			body:        `{"access_token":"at-secret"`,
			want:        &Error{StatusCode: 502},
		},
		{
			name:        "html 200",
			status:      http.StatusOK,
			contentType: "text/html",
			body:        "<html>login</html>",
		},
		{
			name:        "invalid json 200",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret",}`,
		},
		{
			name:        "json array 200",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `["at-secret"]`,
		},
		{
			name:        "trailing data 200",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret"} {}`,
		},
		{
			name:        "non-numeric expires_in",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret","expires_in":"soon"}`,
		},
		{
			name:        "negative expires_in",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret","expires_in":-5}`,
		},
		{
			name:        "boolean expires_in",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret","expires_in":true}`,
		},
		{
			name:        "numeric access token",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":12345}`,
		},
		{
			name:        "numeric scope",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret","scope":7}`,
		},
		{
			name:        "scope array with number",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret","scope":["a",7]}`,
		},
		{
			name:        "numeric refresh token",
			status:      http.StatusOK,
			contentType: "application/json",
			body:        `{"access_token":"at-secret","refresh_token":99}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(tt.status, tt.contentType, tt.body))
			config := newTestConfig(e, "client_secret_post")

			token, err := config.Exchange(context.Background(), "code-1", "")
			if err == nil {
				t.Fatalf("Exchange returned token %v, want an error", token)
			}
			for _, secret := range []string{"at-secret", "rt-secret", "client-secret", "code-1"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}

			var got *Error
			isOAuthError := errors.As(err, &got)
			if tt.want == nil {
				if isOAuthError {
					t.Errorf("Exchange error = %#v, want an error that is not an *Error", got)
				}
				return
			}
			if !isOAuthError {
				t.Fatalf("Exchange error = %v, want an *Error", err)
			}
			if *got != *tt.want {
				t.Errorf("Exchange error = %#v, want %#v", *got, *tt.want)
			}
		})
	}
}

func TestExchangeMissingAccessToken(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"token_type":"bearer","expires_in":3600}`))
	config := newTestConfig(e, "client_secret_basic")

	_, err := config.Exchange(context.Background(), "code-1", "")
	if !errors.Is(err, errMissingAccessToken) {
		t.Fatalf("Exchange error = %v, want %v", err, errMissingAccessToken)
	}
	if !strings.Contains(err.Error(), "access_token") {
		t.Errorf("error %q does not name access_token", err)
	}
}

func TestExchangeBodyLimit(t *testing.T) {
	large := `{"access_token":"at-1","padding":"` + strings.Repeat("x", maxResponseBytes) + `"}`

	t.Run("success status", func(t *testing.T) {
		e := newEndpoint(t, respondWith(http.StatusOK, "application/json", large))
		_, err := newTestConfig(e, "client_secret_basic").Exchange(context.Background(), "code-1", "")
		if err == nil {
			t.Fatal("Exchange succeeded, want an error for a body over 1 MiB")
		}
		var oauthErr *Error
		if errors.As(err, &oauthErr) {
			t.Errorf("Exchange error = %#v, want an error that is not an *Error", oauthErr)
		}
	})

	t.Run("failure status", func(t *testing.T) {
		e := newEndpoint(t, respondWith(http.StatusBadGateway, "application/json", large))
		_, err := newTestConfig(e, "client_secret_basic").Exchange(context.Background(), "code-1", "")
		var oauthErr *Error
		if !errors.As(err, &oauthErr) {
			t.Fatalf("Exchange error = %v, want an *Error", err)
		}
		if oauthErr.StatusCode != http.StatusBadGateway {
			t.Errorf("StatusCode = %d, want %d", oauthErr.StatusCode, http.StatusBadGateway)
		}
	})
}

func TestExchangeDoesNotFollowRedirect(t *testing.T) {
	target := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.server.URL+"/token", http.StatusTemporaryRedirect)
	})
	config := newTestConfig(e, "client_secret_post")

	_, err := config.Exchange(context.Background(), "code-1", "")
	var oauthErr *Error
	if !errors.As(err, &oauthErr) || oauthErr.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("Exchange error = %v, want an *Error with status 307", err)
	}
	if got := target.count(); got != 0 {
		t.Errorf("redirect target received %d requests, want 0", got)
	}
}

func TestExchangeNetworkErrorIsTransient(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
	config := newTestConfig(e, "client_secret_basic")
	e.server.Close()

	_, err := config.Exchange(context.Background(), "code-1", "")
	if err == nil {
		t.Fatal("Exchange succeeded against a closed server")
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true, want false", err)
	}
}

func TestExchangeConfigErrors(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
	tests := []struct {
		name   string
		modify func(*Config)
		code   string
	}{
		{"nil settings", func(c *Config) { c.Settings = nil }, "code-1"},
		{"missing token url", func(c *Config) { c.Settings.TokenURL = "" }, "code-1"},
		{"missing auth method", func(c *Config) { c.Settings.TokenAuthMethod = "" }, "code-1"},
		{"unknown auth method", func(c *Config) { c.Settings.TokenAuthMethod = "private_key_jwt" }, "code-1"},
		{"empty code", func(*Config) {}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := newTestConfig(e, "client_secret_basic")
			tt.modify(config)
			if _, err := config.Exchange(context.Background(), tt.code, ""); err == nil {
				t.Error("Exchange succeeded, want an error")
			}
		})
	}
	if got := e.count(); got != 0 {
		t.Errorf("endpoint received %d requests, want 0", got)
	}
}
