// Package oauth is the OAuth 2.0 client side of plugboard. It builds the
// authorization URL of the authorization code flow with PKCE S256, sends code
// exchange, refresh and RFC 7009 revocation requests, and normalizes token
// responses into a Token. Every request authenticates the client with the
// method the service's settings name and never tries another method. The
// methods are client_secret_basic, client_secret_post and
// client_secret_basic_unencoded, which skips the form-encoding of the Basic
// credentials for providers that do not decode it.
//
// The authorization URL and the PKCE values come from golang.org/x/oauth2. The
// token request is written here because x/oauth2 v0.38.0 (internal/token.go)
// quotes the raw body of a failure response in its error text, where an issued
// token would reach the logs. It also parses JSON labeled text/plain as a form,
// rejects a fractional expires_in, normalizes neither token_type nor scope, and
// counts expiry from time.Now instead of an injected clock.
//
// A token response may be JSON, form-encoded or text/plain. Its token members
// are read from the nested object that the service's token_path names, such as
// Slack's authed_user, or from the top level. Its expires_in may be a
// non-negative decimal number or numeric string, or absent, and Zoho's
// expires_in_sec wins over it. Its token_type may use any case. Its scope is a string split by the service's
// separator, or a JSON array. A response whose access_token, refresh_token or
// token_type contains whitespace or a control character is rejected, because
// the token could not be sent in a header. An error member in any response, a
// 200 included, and Slack's "ok": false are an *Error. Members this package
// does not interpret are kept in Token.Extra, but never the token members of
// the top level or of the token_path object.
//
// Client and Token redact their secrets in fmt and slog output. An *Error
// contains only the error members of a response, never its raw body, and
// every secret of 8 bytes or more that the request sent is redacted from it,
// in the raw, query-escaped, path-escaped and Basic Base64 forms.
package oauth
