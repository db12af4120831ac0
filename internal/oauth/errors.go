package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes that a token or revocation endpoint may return (RFC 6749
// section 5.2 and RFC 7009 section 2.2.1).
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidClient          = "invalid_client"
	CodeInvalidGrant           = "invalid_grant"
	CodeUnauthorizedClient     = "unauthorized_client"
	CodeUnsupportedGrantType   = "unsupported_grant_type"
	CodeInvalidScope           = "invalid_scope"
	CodeUnsupportedTokenType   = "unsupported_token_type"
	CodeServerError            = "server_error"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
)

// Sentinels for errors.Is. An *Error matches one of them when its Code is the
// sentinel's Code, whatever its status and description.
var (
	ErrInvalidGrant         = &Error{Code: CodeInvalidGrant}
	ErrInvalidClient        = &Error{Code: CodeInvalidClient}
	ErrUnsupportedTokenType = &Error{Code: CodeUnsupportedTokenType}
)

// ErrNoRevocationURL is returned by Revoke when the service has no revocation
// endpoint, so the caller can skip revocation at the provider.
var ErrNoRevocationURL = errors.New("service has no revocation URL")

// errMissingAccessToken is returned when a successful token response carries
// neither an access token nor an error.
var errMissingAccessToken = errors.New("token response has no access_token")

// maxDescriptionLength is the maximum number of bytes of a provider's error
// description kept in an Error, so a misbehaving provider cannot fill logs.
const maxDescriptionLength = 200

// Error is an error response from a token or revocation endpoint (RFC 6749
// section 5.2). Code is empty when the endpoint responded with a failure status
// but no parseable error member. StatusCode is the HTTP status, which is 200
// for providers that report errors in a successful response.
//
// Error never holds the response body, so it is safe to log.
type Error struct {
	Code        string
	Description string
	URI         string
	StatusCode  int
}

// Error returns the code, the description and the HTTP status.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Code == "" {
		fmt.Fprintf(&b, "endpoint returned HTTP %d without an OAuth error code", e.StatusCode)
		return b.String()
	}
	fmt.Fprintf(&b, "endpoint returned error %q", e.Code)
	if e.Description != "" {
		fmt.Fprintf(&b, ": %q", e.Description)
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	}
	return b.String()
}

// Is reports whether target is an *Error that carries only a code equal to
// e.Code, such as ErrInvalidGrant.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Code == "" {
		return false
	}
	return t.Description == "" && t.URI == "" && t.StatusCode == 0 && t.Code == e.Code
}

// isPermanentCode reports whether code fails again whenever the same request
// is repeated, because the grant or the client must change first.
func isPermanentCode(code string) bool {
	switch code {
	case CodeInvalidGrant, CodeInvalidClient, CodeUnauthorizedClient,
		CodeUnsupportedGrantType, CodeInvalidScope:
		return true
	}
	return false
}

// isTransientCode reports whether code may succeed when the request is
// repeated later. "slow_down" comes from RFC 8628 section 3.5. "ratelimited"
// is Slack's rate-limit code, sent in a 200 response with "ok": false.
func isTransientCode(code string) bool {
	switch code {
	case CodeServerError, CodeTemporarilyUnavailable, "slow_down", "ratelimited":
		return true
	}
	return false
}

// Permanent reports whether repeating the request cannot succeed. The RFC 6749
// codes invalid_grant, invalid_client, unauthorized_client,
// unsupported_grant_type and invalid_scope are permanent. server_error,
// temporarily_unavailable, rate limits (429), timeouts (408) and 5xx statuses
// are transient. Any other code, and any other 4xx status, is permanent.
func (e *Error) Permanent() bool {
	switch {
	case isPermanentCode(e.Code):
		return true
	case isTransientCode(e.Code):
		return false
	case e.StatusCode >= 500,
		e.StatusCode == http.StatusTooManyRequests,
		e.StatusCode == http.StatusRequestTimeout:
		return false
	case e.Code != "":
		return true
	default:
		return e.StatusCode >= 400
	}
}

// IsPermanent reports whether err wraps an *Error that is permanent. Network
// failures, malformed responses and every other error are transient.
func IsPermanent(err error) bool {
	var oauthErr *Error
	if !errors.As(err, &oauthErr) {
		return false
	}
	return oauthErr.Permanent()
}

// truncateDescription shortens s to maxDescriptionLength bytes without
// splitting a UTF-8 sequence.
func truncateDescription(s string) string {
	if len(s) <= maxDescriptionLength {
		return s
	}
	return strings.ToValidUTF8(s[:maxDescriptionLength], "") + "..."
}
