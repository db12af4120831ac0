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

// slackUserInstall is an oauth.v2.access response of a Slack install that
// asked for bot and user scopes: the bot token at the top level and the user
// token under authed_user.
const slackUserInstall = `{
	"ok": true,
	"app_id": "A0KRD7HC3",
	"access_token": "xoxb-bot-token-1",
	"token_type": "bot",
	"scope": "commands,incoming-webhook",
	"bot_user_id": "U0KRQLJ9H",
	"authed_user": {
		"id": "U1234",
		"scope": "chat:write,search:read",
		"access_token": "xoxp-user-token-1",
		"token_type": "user",
		"refresh_token": "xoxe-1-refresh-1",
		"expires_in": 43200
	},
	"team": {"id": "T9TK3CUKW", "name": "Slack Softworks"},
	"enterprise": null,
	"is_enterprise_install": false
}`

func TestTokenPath(t *testing.T) {
	tests := []struct {
		name      string
		tokenPath string
		separator string
		body      string
		want      Token
	}{
		{
			name:      "slack authed_user",
			tokenPath: "authed_user",
			separator: ",",
			body:      slackUserInstall,
			want: Token{
				AccessToken:   "xoxp-user-token-1",
				TokenType:     "user",
				RefreshToken:  "xoxe-1-refresh-1",
				Expiry:        testNow.Add(12 * time.Hour),
				Scopes:        []string{"chat:write", "search:read"},
				ScopeReturned: true,
				Extra: map[string]any{
					"app_id":                "A0KRD7HC3",
					"bot_user_id":           "U0KRQLJ9H",
					"authed_user":           map[string]any{"id": "U1234"},
					"team":                  map[string]any{"id": "T9TK3CUKW", "name": "Slack Softworks"},
					"enterprise":            nil,
					"is_enterprise_install": false,
				},
			},
		},
		{
			name:      "slack user token only",
			tokenPath: "authed_user",
			separator: ",",
			body: `{"ok":true,"app_id":"A1","authed_user":{"id":"U1","scope":"search:read",` +
				`"access_token":"xoxp-user-token-1","token_type":"user"},"team":{"id":"T1"}}`,
			want: Token{
				AccessToken:   "xoxp-user-token-1",
				TokenType:     "user",
				Scopes:        []string{"search:read"},
				ScopeReturned: true,
				Extra: map[string]any{
					"app_id":      "A1",
					"authed_user": map[string]any{"id": "U1"},
					"team":        map[string]any{"id": "T1"},
				},
			},
		},
		{
			name:      "two segments",
			tokenPath: "data.token",
			body: `{"status":"ok","data":{"user":"u1","token":{"access_token":"at-nested-1",` +
				`"token_type":"bearer","expires_in":60,"region":"eu"}}}`,
			want: Token{
				AccessToken: "at-nested-1",
				TokenType:   "Bearer",
				Expiry:      testNow.Add(time.Minute),
				Extra: map[string]any{
					"status": "ok",
					"data": map[string]any{
						"user":  "u1",
						"token": map[string]any{"region": "eu"},
					},
				},
			},
		},
		{
			name:      "object with only token members dropped",
			tokenPath: "authed_user",
			body:      `{"ok":true,"authed_user":{"access_token":"xoxp-user-token-1"}}`,
			want:      Token{AccessToken: "xoxp-user-token-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", tt.body))
			config := newTestConfig(e, "client_secret_basic")
			config.Settings.TokenPath = tt.tokenPath
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

func TestTokenPathKeepsTokensOutOfExtra(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", slackUserInstall))
	config := newTestConfig(e, "client_secret_basic")
	config.Settings.TokenPath = "authed_user"
	config.Settings.ScopeSeparator = ","

	got, err := config.Exchange(context.Background(), "code-1", "")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	extra, err := json.Marshal(got.Extra)
	if err != nil {
		t.Fatalf("encoding Extra: %v", err)
	}
	for _, secret := range []string{"xoxp-user-token-1", "xoxe-1-refresh-1", "xoxb-bot-token-1"} {
		if strings.Contains(string(extra), secret) {
			t.Errorf("Extra %s contains the token %q", extra, secret)
		}
	}
}

func TestTokenPathErrors(t *testing.T) {
	tests := []struct {
		name        string
		tokenPath   string
		contentType string
		body        string
		wantText    string // part of the error message
		wantErr     error  // matched with errors.Is when not nil
	}{
		{
			name:      "object missing",
			tokenPath: "authed_user",
			body:      `{"ok":true,"access_token":"xoxb-bot-token-1","token_type":"bot"}`,
			wantText:  "no authed_user object",
		},
		{
			name:      "object null",
			tokenPath: "authed_user",
			body:      `{"ok":true,"authed_user":null}`,
			wantText:  "no authed_user object",
		},
		{
			name:      "member not an object",
			tokenPath: "authed_user",
			body:      `{"ok":true,"authed_user":"xoxp-user-token-1"}`,
			wantText:  "expected an object",
		},
		{
			name:      "second segment missing",
			tokenPath: "data.token",
			body:      `{"data":{"access_token":"at-top-level-1"}}`,
			wantText:  "no data.token object",
		},
		{
			name:      "nested access token missing",
			tokenPath: "authed_user",
			body:      `{"ok":true,"access_token":"xoxb-bot-token-1","authed_user":{"id":"U1"}}`,
			wantErr:   errMissingAccessToken,
		},
		{
			name:        "form body",
			tokenPath:   "authed_user",
			contentType: "application/x-www-form-urlencoded",
			body:        "authed_user=xoxp-user-token-1",
			wantText:    "expected an object",
		},
		{
			name:      "slack failure",
			tokenPath: "authed_user",
			body:      `{"ok":false,"error":"invalid_code"}`,
			wantErr:   &Error{Code: "invalid_code"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contentType := tt.contentType
			if contentType == "" {
				contentType = "application/json"
			}
			e := newEndpoint(t, respondWith(http.StatusOK, contentType, tt.body))
			config := newTestConfig(e, "client_secret_basic")
			config.Settings.TokenPath = tt.tokenPath

			got, err := config.Exchange(context.Background(), "code-1", "")
			if err == nil {
				t.Fatalf("Exchange = %v, want an error", got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Exchange error = %v, want one matching %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Exchange error = %q, want it to contain %q", err, tt.wantText)
			}
			for _, secret := range []string{"xoxp-user-token-1", "xoxb-bot-token-1", "at-top-level-1"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Exchange error %q contains the token %q", err, secret)
				}
			}
		})
	}
}
