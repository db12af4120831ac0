package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

func TestRevokeForm(t *testing.T) {
	tests := []struct {
		name string
		hint string
		want url.Values
	}{
		{"refresh token hint", HintRefreshToken, url.Values{"token": {"rt-1"}, "token_type_hint": {"refresh_token"}}},
		{"access token hint", HintAccessToken, url.Values{"token": {"rt-1"}, "token_type_hint": {"access_token"}}},
		{"no hint", "", url.Values{"token": {"rt-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "", ""))
			config := newTestConfig(e, "client_secret_basic")

			if err := config.Revoke(context.Background(), "rt-1", tt.hint); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			req := e.only(t)
			if req.path != "/revoke" {
				t.Errorf("path = %q, want /revoke", req.path)
			}
			if !reflect.DeepEqual(req.form, tt.want) {
				t.Errorf("form = %v, want %v", req.form, tt.want)
			}
		})
	}
}

func TestRevokeResponses(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		contentType   string
		body          string
		want          *Error // nil for success
		wantPermanent bool
	}{
		{name: "200 empty", status: http.StatusOK},
		{name: "200 html", status: http.StatusOK, contentType: "text/html", body: "<p>revoked</p>"},
		{name: "200 json", status: http.StatusOK, contentType: "application/json", body: `{"revoked":true}`},
		{name: "204", status: http.StatusNoContent},
		{
			name:        "503",
			status:      http.StatusServiceUnavailable,
			contentType: "text/plain",
			body:        "try later",
			want:        &Error{StatusCode: 503},
		},
		{
			name:          "unsupported token type",
			status:        http.StatusBadRequest,
			contentType:   "application/json",
			body:          `{"error":"unsupported_token_type"}`,
			want:          &Error{Code: "unsupported_token_type", StatusCode: 400},
			wantPermanent: true,
		},
		{
			name:          "invalid client",
			status:        http.StatusUnauthorized,
			contentType:   "application/json",
			body:          `{"error":"invalid_client","error_description":"client authentication failed"}`,
			want:          &Error{Code: "invalid_client", Description: "client authentication failed", StatusCode: 401},
			wantPermanent: true,
		},
		{
			name:          "slack ok false in 200",
			status:        http.StatusOK,
			contentType:   "application/json",
			body:          `{"ok":false,"error":"invalid_auth"}`,
			want:          &Error{Code: "invalid_auth", StatusCode: 200},
			wantPermanent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(tt.status, tt.contentType, tt.body))
			config := newTestConfig(e, "client_secret_post")

			err := config.Revoke(context.Background(), "rt-1", HintRefreshToken)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Revoke: %v", err)
				}
				return
			}

			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("Revoke error = %v, want an *Error", err)
			}
			if *got != *tt.want {
				t.Errorf("Revoke error = %#v, want %#v", *got, *tt.want)
			}
			if IsPermanent(err) != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %t, want %t", err, !tt.wantPermanent, tt.wantPermanent)
			}
		})
	}
}

func TestRevokeUnsupportedTokenTypeIsTyped(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusBadRequest, "application/json", `{"error":"unsupported_token_type"}`))

	err := newTestConfig(e, "client_secret_basic").Revoke(context.Background(), "at-1", HintAccessToken)
	if !errors.Is(err, ErrUnsupportedTokenType) {
		t.Errorf("Revoke error = %v, want one matching ErrUnsupportedTokenType", err)
	}
}

func TestRevokeWithoutRevocationURL(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "", ""))
	config := newTestConfig(e, "client_secret_basic")
	config.Settings.RevocationURL = ""

	err := config.Revoke(context.Background(), "rt-1", HintRefreshToken)
	if !errors.Is(err, ErrNoRevocationURL) {
		t.Errorf("Revoke error = %v, want %v", err, ErrNoRevocationURL)
	}
	if got := e.count(); got != 0 {
		t.Errorf("endpoint received %d requests, want 0", got)
	}
}

func TestRevokeEmptyTokenSendsNothing(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "", ""))
	if err := newTestConfig(e, "client_secret_basic").Revoke(context.Background(), "", ""); err == nil {
		t.Error("Revoke succeeded without a token")
	}
	if got := e.count(); got != 0 {
		t.Errorf("endpoint received %d requests, want 0", got)
	}
}
