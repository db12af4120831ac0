package oauthtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Stats counts the requests the provider received since it started. Requests
// rejected by client authentication count too.
type Stats struct {
	// TokenRequests counts token endpoint requests by grant_type. It always
	// has the keys authorization_code, refresh_token and client_credentials.
	TokenRequests  map[string]int `json:"token_requests"`
	Revocations    int            `json:"revocations"`
	Introspections int            `json:"introspections"`
	// LastTokenAuthMethod is the client authentication the last token request
	// presented: client_secret_basic, client_secret_post, none, or multiple
	// when it sent both a Basic header and a client_secret parameter.
	LastTokenAuthMethod string `json:"last_token_auth_method"`
}

// Echo is the response body of the API's /echo route, which accepts every
// method and requires a valid access token for the API.
type Echo struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Query is the raw query string, without the "?".
	Query string `json:"query"`
	// Headers maps lower-case header names to the values received, in order.
	Headers map[string][]string `json:"headers"`
	// Body is the request body as JSON, a JSON string when the body was not
	// JSON, or null when it was empty.
	Body json.RawMessage `json:"body"`
	// Subject is the user the access token belongs to, empty for a client
	// credentials token.
	Subject string `json:"subject"`
}

// Stats returns the provider's request counts.
func (p *Provider) Stats(ctx context.Context) (Stats, error) {
	var stats Stats
	if err := p.getJSON(ctx, http.MethodGet, p.Issuer+"/test/stats", nil, &stats); err != nil {
		return Stats{}, fmt.Errorf("getting stats: %w", err)
	}
	return stats, nil
}

// TokenActive reports whether token is a valid access token, client
// credentials token or refresh token. Valid means issued, not expired, not
// revoked and, for a refresh token, not consumed by rotation. Unlike the
// standard endpoint at Provider.IntrospectionURL, it needs no client
// authentication.
func (p *Provider) TokenActive(ctx context.Context, token string) (bool, error) {
	request, err := json.Marshal(map[string]string{"token": token})
	if err != nil {
		return false, fmt.Errorf("encoding introspection request: %w", err)
	}
	var result struct {
		Active bool `json:"active"`
	}
	if err := p.getJSON(ctx, http.MethodPost, p.Issuer+"/test/introspect", request, &result); err != nil {
		return false, fmt.Errorf("introspecting token: %w", err)
	}
	return result.Active, nil
}

// ExpireAccessToken ends one access token at the provider before its expiry
// while its refresh token stays valid, so the next API call with it gets 401.
// Standard revocation (RFC 7009) at this provider ends every token of the
// grant instead.
func (p *Provider) ExpireAccessToken(ctx context.Context, token string) error {
	request, err := json.Marshal(map[string]string{"token": token})
	if err != nil {
		return fmt.Errorf("encoding request: %w", err)
	}
	var result struct {
		Expired bool `json:"expired"`
	}
	if err := p.getJSON(ctx, http.MethodPost, p.Issuer+"/test/expire-access-token", request, &result); err != nil {
		return fmt.Errorf("expiring access token: %w", err)
	}
	return nil
}

func (p *Provider) getJSON(ctx context.Context, method, target string, body []byte, result any) error {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s returned %s: %s", method, target, resp.Status, data)
	}
	if err := json.Unmarshal(data, result); err != nil {
		return fmt.Errorf("decoding response: %w", err)
	}
	return nil
}
