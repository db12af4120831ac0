package oauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
)

// echoingEndpoint responds to every request with an error whose description
// repeats the request's values after padding bytes of filler. A padding of
// 185 puts the first secret across the 200-byte cut of descriptions.
func echoingEndpoint(t *testing.T, status, padding int) *endpoint {
	return newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		echo := strings.Repeat("x", padding)
		for _, name := range []string{"refresh_token", "code", "code_verifier", "token"} {
			echo += " " + r.PostForm.Get(name)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"error":"invalid_grant","error_description":"` + echo + ` client-secret"}`))
	})
}

func TestProviderEchoIsRedacted(t *testing.T) {
	const refreshToken = "refresh-0123456789abcdef"
	const code = "code-0123456789abcdef"
	const verifier = "verifier-0123456789abcdef0123456789abcdef0123"
	const revoked = "access-0123456789abcdef"
	secrets := []string{refreshToken, code, verifier, revoked, "client-secret"}

	for _, tc := range []struct{ status, padding int }{
		{http.StatusBadRequest, 10}, {http.StatusOK, 10}, {http.StatusBadRequest, 185},
	} {
		status := tc.status
		e := echoingEndpoint(t, status, tc.padding)
		cfg := newTestConfig(e, catalog.ClientSecretPost)
		_, refreshErr := cfg.Refresh(t.Context(), refreshToken)
		_, exchangeErr := cfg.Exchange(t.Context(), code, verifier)
		revokeErr := cfg.Revoke(t.Context(), revoked, "access_token")
		for name, err := range map[string]error{"refresh": refreshErr, "exchange": exchangeErr, "revoke": revokeErr} {
			if !errors.Is(err, ErrInvalidGrant) {
				t.Errorf("status %d, %s: error = %v, want invalid_grant", status, name, err)
				continue
			}
			for _, secret := range secrets {
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:12]) {
					t.Errorf("status %d, %s: error text contains a sent secret: %s", status, name, err)
				}
			}
		}
	}
}

// echoFunc returns the part of a request that a provider repeats in its error.
type echoFunc func(r *http.Request, body string) string

// echoValues returns the request's secret-bearing form values, each passed
// through encode and joined with spaces.
func echoValues(encode func(string) string) echoFunc {
	return func(r *http.Request, body string) string {
		form, _ := url.ParseQuery(body)
		var parts []string
		for _, name := range []string{"refresh_token", "code", "code_verifier", "token", "client_secret"} {
			if value := form.Get(name); value != "" {
				parts = append(parts, encode(value))
			}
		}
		return strings.Join(parts, " ")
	}
}

// echoingJSONEndpoint responds to every request with an invalid_grant error
// whose description and URI both contain echo's output.
func echoingJSONEndpoint(t *testing.T, echo echoFunc) *endpoint {
	return newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		repeated := echo(r, string(body))
		response, _ := json.Marshal(map[string]string{
			"error":             "invalid_grant",
			"error_description": "rejected request: " + repeated,
			"error_uri":         "https://provider.test/errors?request=" + repeated,
		})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(response)
	})
}

// encodedForms returns value as sent and in its query-escaped and
// path-escaped forms.
func encodedForms(value string) []string {
	return []string{value, url.QueryEscape(value), url.PathEscape(value)}
}

func TestProviderEchoOfEncodedSecretsIsRedacted(t *testing.T) {
	// The pair "client-1:<escaped secret>" is 46 bytes, so its Base64 ends in
	// "==" and the form without padding differs.
	client := Client{ID: "client-1", Secret: "s3cr3t+with/special=chars&more"}
	const refreshToken = "rt+0123/4567=89ab&cdef"
	const code = "code/0123+4567 89ab=cd"
	const verifier = "verifier-0123456789abcdef0123456789abcdef~._"
	const revoked = "at+0123/4567=89ab&cdef"

	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(client.ID) + ":" + url.QueryEscape(client.Secret)))
	if !strings.HasSuffix(basic, "=") {
		t.Fatalf("Basic credentials %q have no padding to strip", basic)
	}
	forbidden := []string{basic, strings.TrimRight(basic, "=")}
	for _, value := range []string{client.Secret, refreshToken, code, verifier, revoked} {
		forbidden = append(forbidden, encodedForms(value)...)
	}

	echoes := []struct {
		name string
		echo echoFunc
		// basicOnly marks an echo of the Authorization header, which only
		// client_secret_basic sends.
		basicOnly bool
	}{
		{"authorization header", func(r *http.Request, _ string) string { return r.Header.Get("Authorization") }, true},
		{"basic credentials without padding", func(r *http.Request, _ string) string {
			return strings.TrimRight(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "), "=")
		}, true},
		{"form-encoded body", func(_ *http.Request, body string) string { return body }, false},
		{"raw values", echoValues(func(s string) string { return s }), false},
		{"query-escaped values", echoValues(url.QueryEscape), false},
		{"path-escaped values", echoValues(url.PathEscape), false},
	}
	for _, method := range []string{catalog.ClientSecretBasic, catalog.ClientSecretPost} {
		for _, tc := range echoes {
			if tc.basicOnly && method != catalog.ClientSecretBasic {
				continue
			}
			echo := tc.echo
			t.Run(method+" "+tc.name, func(t *testing.T) {
				e := echoingJSONEndpoint(t, echo)
				cfg := newTestConfig(e, method)
				cfg.Client = client

				_, refreshErr := cfg.Refresh(t.Context(), refreshToken)
				_, exchangeErr := cfg.Exchange(t.Context(), code, verifier)
				revokeErr := cfg.Revoke(t.Context(), revoked, HintAccessToken)
				for name, err := range map[string]error{"refresh": refreshErr, "exchange": exchangeErr, "revoke": revokeErr} {
					var oauthErr *Error
					if !errors.As(err, &oauthErr) {
						t.Errorf("%s: error = %v, want an *Error", name, err)
						continue
					}
					if !strings.Contains(oauthErr.Description, redactedText) {
						t.Errorf("%s: Description = %q, want a redacted echo", name, oauthErr.Description)
					}
					for _, secret := range forbidden {
						if strings.Contains(oauthErr.Description, secret) {
							t.Errorf("%s: Description %q contains sent secret %q", name, oauthErr.Description, secret)
						}
						if strings.Contains(oauthErr.URI, secret) {
							t.Errorf("%s: URI %q contains sent secret %q", name, oauthErr.URI, secret)
						}
						if strings.Contains(err.Error(), secret) {
							t.Errorf("%s: error text %q contains sent secret %q", name, err, secret)
						}
					}
				}
			})
		}
	}
}

func TestEchoNextToAccessTokenIsRedacted(t *testing.T) {
	const code = "code-0123456789abcdef"
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json",
		`{"access_token":"at-issued-0123456789","error":"invalid_scope",`+
			`"error_description":"scope not granted for `+code+`","error_uri":"https://provider.test/e?code=`+code+`"}`))

	_, err := newTestConfig(e, catalog.ClientSecretPost).Exchange(t.Context(), code, "")
	var got *Error
	if !errors.As(err, &got) {
		t.Fatalf("Exchange error = %v, want an *Error", err)
	}
	want := Error{
		Code:        "invalid_scope",
		Description: "scope not granted for " + redactedText,
		URI:         "https://provider.test/e?code=" + redactedText,
		StatusCode:  http.StatusOK,
	}
	if *got != want {
		t.Errorf("Exchange error = %#v, want %#v", *got, want)
	}
}

func TestRefreshKeepsEchoedRefreshToken(t *testing.T) {
	// A provider that does not rotate refresh tokens returns the one it was
	// sent. Redaction applies to errors only, so the token stays intact.
	const refreshToken = "rt-unrotated-0123456789"
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json",
		`{"access_token":"at-1","refresh_token":"`+refreshToken+`"}`))

	got, err := newTestConfig(e, catalog.ClientSecretPost).Refresh(t.Context(), refreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if got.RefreshToken != refreshToken {
		t.Errorf("RefreshToken = %q, want the sent refresh token", got.RefreshToken)
	}
}

func TestShortEchoedValueIsNotRedacted(t *testing.T) {
	tests := []struct {
		name     string
		code     string
		redacted bool
	}{
		{name: "1 byte", code: "c", redacted: false},
		{name: "7 bytes", code: "abcdefg", redacted: false},
		{name: "8 bytes", code: "abcdefgh", redacted: true},
		{name: "20 bytes", code: "code-0123456789abcde", redacted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			description := func(code string) string {
				return "exchanging code " + code + " was blocked; check the callback"
			}
			e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				response, _ := json.Marshal(map[string]string{
					"error":             "invalid_grant",
					"error_description": description(r.PostForm.Get("code")),
				})
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				w.Write(response)
			})

			_, err := newTestConfig(e, catalog.ClientSecretPost).Exchange(t.Context(), tt.code, "")
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("Exchange error = %v, want an *Error", err)
			}
			want := description(tt.code)
			if tt.redacted {
				want = description(redactedText)
			}
			if got.Description != want {
				t.Errorf("Description = %q, want %q", got.Description, want)
			}
		})
	}
}

func TestRedactLongerSecretFirst(t *testing.T) {
	// The code is a prefix of the client secret. Replacing the code first
	// would leave "-suffix" of the secret in the text.
	form := url.Values{"code": {"shared-01234567"}}
	client := Client{ID: "client-1", Secret: "shared-01234567-suffix"}
	secrets := sentSecrets(form, http.Header{}, client)

	got := redactString("secret shared-01234567-suffix and code shared-01234567", secrets)
	if want := "secret [redacted] and code [redacted]"; got != want {
		t.Errorf("redactString = %q, want %q", got, want)
	}
}
