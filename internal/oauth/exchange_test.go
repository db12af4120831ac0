package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestExchangeForm(t *testing.T) {
	pkceOff := false
	tests := []struct {
		name     string
		pkce     *bool
		verifier string
		want     url.Values
	}{
		{
			name:     "pkce on",
			verifier: "verifier-1",
			want: url.Values{
				"grant_type":    {"authorization_code"},
				"code":          {"code-1"},
				"redirect_uri":  {"http://127.0.0.1:8080/oauth/callback"},
				"code_verifier": {"verifier-1"},
			},
		},
		{
			name:     "pkce off ignores verifier",
			pkce:     &pkceOff,
			verifier: "verifier-1",
			want: url.Values{
				"grant_type":   {"authorization_code"},
				"code":         {"code-1"},
				"redirect_uri": {"http://127.0.0.1:8080/oauth/callback"},
			},
		},
		{
			name: "no verifier",
			want: url.Values{
				"grant_type":   {"authorization_code"},
				"code":         {"code-1"},
				"redirect_uri": {"http://127.0.0.1:8080/oauth/callback"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
			config := newTestConfig(e, "client_secret_basic")
			config.Settings.PKCE = tt.pkce

			if _, err := config.Exchange(context.Background(), "code-1", tt.verifier); err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			req := e.only(t)
			if req.path != "/token" {
				t.Errorf("path = %q, want /token", req.path)
			}
			if !reflect.DeepEqual(req.form, tt.want) {
				t.Errorf("form = %v, want %v", req.form, tt.want)
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name             string
		body             string
		wantRefreshToken string
	}{
		{
			name:             "without new refresh token",
			body:             `{"access_token":"at-2","token_type":"bearer","expires_in":"1800"}`,
			wantRefreshToken: "",
		},
		{
			name:             "with new refresh token",
			body:             `{"access_token":"at-2","token_type":"bearer","expires_in":1800,"refresh_token":"rt-new"}`,
			wantRefreshToken: "rt-new",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", tt.body))
			config := newTestConfig(e, "client_secret_post")

			got, err := config.Refresh(context.Background(), "rt-old")
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if got.AccessToken != "at-2" {
				t.Errorf("AccessToken = %q, want %q", got.AccessToken, "at-2")
			}
			if got.RefreshToken != tt.wantRefreshToken {
				t.Errorf("RefreshToken = %q, want %q", got.RefreshToken, tt.wantRefreshToken)
			}
			if want := testNow.Add(30 * time.Minute); !got.Expiry.Equal(want) {
				t.Errorf("Expiry = %v, want %v", got.Expiry, want)
			}

			req := e.only(t)
			if got := req.form.Get("grant_type"); got != "refresh_token" {
				t.Errorf("grant_type = %q, want refresh_token", got)
			}
			if got := req.form.Get("refresh_token"); got != "rt-old" {
				t.Errorf("refresh_token = %q, want rt-old", got)
			}
			if req.form.Has("redirect_uri") || req.form.Has("code") {
				t.Errorf("form = %v, want no authorization code members", req.form)
			}
		})
	}
}

func TestRefreshEmptyTokenSendsNothing(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
	if _, err := newTestConfig(e, "client_secret_basic").Refresh(context.Background(), ""); err == nil {
		t.Error("Refresh succeeded without a refresh token")
	}
	if got := e.count(); got != 0 {
		t.Errorf("endpoint received %d requests, want 0", got)
	}
}

func TestRefreshInvalidGrant(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusBadRequest, "application/json",
		`{"error":"invalid_grant","error_description":"refresh token revoked"}`))

	_, err := newTestConfig(e, "client_secret_basic").Refresh(context.Background(), "rt-old")
	if !errors.Is(err, ErrInvalidGrant) {
		t.Fatalf("Refresh error = %v, want one matching ErrInvalidGrant", err)
	}
	if !IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = false, want true", err)
	}
}

func TestExchangeDefaultClock(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1","expires_in":60}`))
	config := newTestConfig(e, "client_secret_basic")
	config.Now = nil

	before := time.Now()
	got, err := config.Exchange(context.Background(), "code-1", "")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if got.Expiry.Before(before.Add(time.Minute)) || got.Expiry.After(time.Now().Add(time.Minute)) {
		t.Errorf("Expiry = %v, want about a minute after %v", got.Expiry, before)
	}
}
