package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Token type hints of RFC 7009 section 2.1.
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// Revoke sends a revocation request for token to the provider (RFC 7009),
// authenticating the client the same way as token requests. tokenTypeHint is HintAccessToken,
// HintRefreshToken or empty.
//
// Any 2xx status is success, which by RFC 7009 section 2.2 includes a token
// that was already invalid. An error member in a 2xx body (Slack's "ok": false)
// is an *Error. Revoke returns ErrNoRevocationURL when the service has no
// revocation endpoint, and an *Error matching ErrUnsupportedTokenType when the
// provider cannot revoke this kind of token.
func (c *Config) Revoke(ctx context.Context, token, tokenTypeHint string) error {
	if err := c.check(); err != nil {
		return err
	}
	if c.Settings.RevocationURL == "" {
		return ErrNoRevocationURL
	}
	if token == "" {
		return errors.New("missing token to revoke")
	}

	form := url.Values{"token": {token}}
	if tokenTypeHint != "" {
		form.Set("token_type_hint", tokenTypeHint)
	}
	header := make(http.Header)
	if err := c.Client.authenticate(header, form, c.Settings.TokenAuthMethod); err != nil {
		return err
	}

	resp, err := c.post(ctx, c.Settings.RevocationURL, form, header)
	if err != nil {
		return fmt.Errorf("revoking token: %w", err)
	}

	// RFC 7009 gives the body no meaning, so an unparseable one is ignored.
	members, parseErr := parseMembers(resp.contentType, resp.body)
	if parseErr == nil {
		secrets := sentSecrets(form, header, c.Client)
		if oauthErr := errorFromMembers(members, resp.status, secrets); oauthErr != nil {
			return fmt.Errorf("revoking token: %w", oauthErr)
		}
	}
	if !resp.successful() {
		return fmt.Errorf("revoking token: %w", &Error{StatusCode: resp.status})
	}
	return nil
}
