package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
)

// maxResponseBytes is the maximum size of a token or revocation response
// body. A successful response beyond it is an error. A failure response
// beyond it becomes an *Error with only its status.
const maxResponseBytes = 1 << 20

// Exchange trades an authorization code for a token (RFC 6749 section 4.1.3).
// verifier is the PKCE code verifier whose challenge went into the
// authorization URL. It is sent only when it is not empty and the service has
// PKCE on.
func (c *Config) Exchange(ctx context.Context, code, verifier string) (*Token, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if code == "" {
		return nil, errors.New("missing authorization code: the callback must carry a code parameter")
	}

	form := url.Values{
		"grant_type": {"authorization_code"},
		"code":       {code},
	}
	if c.RedirectURI != "" {
		form.Set("redirect_uri", c.RedirectURI)
	}
	if c.usesPKCE(verifier) {
		form.Set("code_verifier", verifier)
	}

	token, err := c.requestToken(ctx, form)
	if err != nil {
		return nil, fmt.Errorf("exchanging authorization code: %w", err)
	}
	return token, nil
}

// Refresh trades a refresh token for a new access token (RFC 6749 section 6).
//
// The returned token's RefreshToken is empty when the provider sent no new
// refresh token, and the caller then keeps its old refresh token. A new
// refresh token replaces the old one.
func (c *Config) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if refreshToken == "" {
		return nil, errors.New("missing refresh token: connect again to get one")
	}

	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	}
	token, err := c.requestToken(ctx, form)
	if err != nil {
		return nil, fmt.Errorf("refreshing token: %w", err)
	}
	return token, nil
}

// requestToken sends a token request with form and normalizes the response.
func (c *Config) requestToken(ctx context.Context, form url.Values) (*Token, error) {
	header := make(http.Header)
	if err := c.Client.authenticate(header, form, c.Settings.TokenAuthMethod); err != nil {
		return nil, err
	}
	resp, err := c.post(ctx, c.Settings.TokenURL, form, header)
	if err != nil {
		return nil, err
	}

	// Only the *Error is redacted, because a successful response may return
	// the refresh token it was sent.
	secrets := sentSecrets(form, header, c.Client)
	members, parseErr := parseMembers(resp.contentType, resp.body)
	if !resp.successful() {
		if parseErr == nil {
			if oauthErr := errorFromMembers(members, resp.status, secrets); oauthErr != nil {
				return nil, oauthErr
			}
		}
		return nil, &Error{StatusCode: resp.status}
	}
	if parseErr != nil {
		return nil, fmt.Errorf("parsing token response: %w", parseErr)
	}
	// Some providers, GitHub and Slack among them, report errors in a 200.
	if oauthErr := errorFromMembers(members, resp.status, secrets); oauthErr != nil {
		return nil, oauthErr
	}
	return tokenFromMembers(members, c.Settings, c.now())
}

// response is an endpoint response with its body read.
type response struct {
	status      int
	contentType string
	body        []byte
}

func (r *response) successful() bool {
	return r.status >= 200 && r.status < 300
}

// post sends form to endpoint with the extra header and reads at most
// maxResponseBytes of the response.
func (c *Config) post(ctx context.Context, endpoint string, form url.Values, header http.Header) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	maps.Copy(req.Header, header)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	httpResp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("sending request: %w", err)
	}
	defer httpResp.Body.Close()

	resp := &response{
		status:      httpResp.StatusCode,
		contentType: httpResp.Header.Get("Content-Type"),
	}
	body, err := io.ReadAll(io.LimitReader(httpResp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if len(body) > maxResponseBytes {
		if resp.successful() {
			return nil, fmt.Errorf("response body exceeds %d bytes", maxResponseBytes)
		}
		body = nil
	}
	resp.body = body
	return resp, nil
}

// ClientCredentials requests a token with the client credentials grant
// (RFC 6749 section 4.4): the client acts for itself, with no user step and
// no refresh token, so a new token is requested the same way when one
// expires. Scopes are joined with the service's separator and left out when
// there are none.
func (c *Config) ClientCredentials(ctx context.Context, scopes []string) (*Token, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, c.Settings.Separator()))
	}
	token, err := c.requestToken(ctx, form)
	if err != nil {
		return nil, fmt.Errorf("requesting a client credentials token: %w", err)
	}
	return token, nil
}
