package benchkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Authorize connects an OAuth connection as a browser and the provider
// would: it starts the flow with POST /v1/connections/{link}/connect and
// calls /oauth/callback with the returned state and code, without
// following plugboard's own redirect.
func Authorize(ctx context.Context, api *API, link, code string) error {
	var started struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	if err := api.Do(ctx, "POST", "/v1/connections/"+link+"/connect", map[string]any{}, http.StatusOK, &started); err != nil {
		return err
	}
	authURL, err := url.Parse(started.AuthorizationURL)
	if err != nil {
		return fmt.Errorf("parsing authorization URL: %w", err)
	}
	state := authURL.Query().Get("state")
	if state == "" {
		return errors.New("authorization URL has no state parameter")
	}

	query := url.Values{"state": {state}, "code": {code}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.BaseURL+"/oauth/callback?"+query.Encode(), nil)
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("calling /oauth/callback: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("/oauth/callback returned status %d", resp.StatusCode)
	}
	return nil
}
