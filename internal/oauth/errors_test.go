package oauth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorPermanent(t *testing.T) {
	tests := []struct {
		err  Error
		want bool
	}{
		{Error{Code: "invalid_grant", StatusCode: 400}, true},
		{Error{Code: "invalid_client", StatusCode: 401}, true},
		{Error{Code: "unauthorized_client", StatusCode: 400}, true},
		{Error{Code: "unsupported_grant_type", StatusCode: 400}, true},
		{Error{Code: "invalid_scope", StatusCode: 400}, true},
		{Error{Code: "invalid_grant", StatusCode: 500}, true},
		{Error{Code: "invalid_request", StatusCode: 400}, true},
		{Error{Code: "bad_verification_code", StatusCode: 200}, true},
		{Error{Code: "temporarily_unavailable", StatusCode: 400}, false},
		{Error{Code: "server_error", StatusCode: 400}, false},
		{Error{Code: "ratelimited", StatusCode: 200}, false},
		{Error{Code: "slow_down", StatusCode: 400}, false},
		{Error{Code: "invalid_request", StatusCode: 503}, false},
		{Error{StatusCode: 500}, false},
		{Error{StatusCode: 502}, false},
		{Error{StatusCode: 503}, false},
		{Error{StatusCode: 429}, false},
		{Error{StatusCode: 408}, false},
		{Error{StatusCode: 400}, true},
		{Error{StatusCode: 401}, true},
		{Error{StatusCode: 404}, true},
		{Error{StatusCode: 200, Description: `response has "ok": false`}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.err.Code, tt.err.StatusCode), func(t *testing.T) {
			if got := tt.err.Permanent(); got != tt.want {
				t.Errorf("Permanent() = %t, want %t", got, tt.want)
			}
			wrapped := fmt.Errorf("refreshing token: %w", &tt.err)
			if got := IsPermanent(wrapped); got != tt.want {
				t.Errorf("IsPermanent(wrapped) = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestIsPermanentOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("dial tcp: connection refused"), errMissingAccessToken} {
		if IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = true, want false", err)
		}
	}
}

func TestErrorIs(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"invalid_grant wrapped", fmt.Errorf("refreshing token: %w", &Error{Code: "invalid_grant", StatusCode: 400}), ErrInvalidGrant, true},
		{"invalid_grant in 200", &Error{Code: "invalid_grant", Description: "expired", StatusCode: 200}, ErrInvalidGrant, true},
		{"other code", &Error{Code: "invalid_client", StatusCode: 401}, ErrInvalidGrant, false},
		{"no code", &Error{StatusCode: 400}, ErrInvalidGrant, false},
		{"invalid_client", &Error{Code: "invalid_client", StatusCode: 401}, ErrInvalidClient, true},
		{"unsupported_token_type", &Error{Code: "unsupported_token_type", StatusCode: 400}, ErrUnsupportedTokenType, true},
		{"target with status", &Error{Code: "invalid_grant", StatusCode: 400}, &Error{Code: "invalid_grant", StatusCode: 401}, false},
		{"empty target", &Error{StatusCode: 400}, &Error{}, false},
		{"other sentinel", &Error{Code: "invalid_grant"}, ErrNoRevocationURL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v) = %t, want %t", tt.err, tt.target, got, tt.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			name: "code description status",
			err:  &Error{Code: "invalid_grant", Description: "token expired", URI: "https://x.test/e", StatusCode: 400},
			want: `endpoint returned error "invalid_grant": "token expired" (HTTP 400)`,
		},
		{
			name: "code only",
			err:  &Error{Code: "bad_verification_code", StatusCode: 200},
			want: `endpoint returned error "bad_verification_code" (HTTP 200)`,
		},
		{
			name: "status only",
			err:  &Error{StatusCode: 503},
			want: "endpoint returned HTTP 503 without an OAuth error code",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorDescriptionTruncated(t *testing.T) {
	long := strings.Repeat("é", maxDescriptionLength)
	members := map[string]any{"error": "invalid_request", "error_description": long}

	got := errorFromMembers(members, 400, nil)
	if len(got.Description) > maxDescriptionLength+len("...") {
		t.Errorf("Description has %d bytes, want at most %d", len(got.Description), maxDescriptionLength+3)
	}
	if !strings.HasSuffix(got.Description, "...") {
		t.Errorf("Description = %q, want a ... suffix", got.Description)
	}
	if !strings.HasPrefix(got.Description, "éé") || strings.ContainsRune(got.Description, '\uFFFD') {
		t.Errorf("Description = %q, want whole UTF-8 characters", got.Description)
	}
}
