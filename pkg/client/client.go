// Package client is a Go client for plugboard's v1 API.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls one plugboard instance with one API token.
type Client struct {
	BaseURL    string
	Token      string
	HTTPClient *http.Client
}

// New returns a client of the instance at baseURL.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimSuffix(baseURL, "/"), Token: token, HTTPClient: http.DefaultClient}
}

// Error is an RFC 9457 problem returned by plugboard.
type Error struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	// ConnectURL is set when a connection must be connected first.
	ConnectURL string `json:"connect_url,omitempty"`
	// Line and Column locate the error in a function's script, for the
	// codes script_invalid and function_failed.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Log holds the info lines of a failed function run up to the failure.
	Log []string `json:"log,omitempty"`
	// CallError is the code of the invokeurl call that failed a run, such
	// as authorization_required.
	CallError string `json:"call_error,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Detail)
}

// Do sends a JSON request and decodes a JSON response into out when out is
// not nil. A response with status 400 or above is returned as *Error.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("reading response of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		apiErr := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, apiErr) != nil || apiErr.Code == "" {
			apiErr.Code = "http_error"
			apiErr.Detail = strings.TrimSpace(string(data))
		}
		return apiErr
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding response of %s %s: %w", method, path, err)
		}
	}
	return nil
}

// Service is a service of the catalog or a custom one.
type Service struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	AuthType string `json:"auth_type"`
}

// Connection is a connection as the API shows it.
type Connection struct {
	LinkName                string   `json:"link_name"`
	Name                    string   `json:"name"`
	Service                 string   `json:"service"`
	Application             string   `json:"application,omitempty"`
	Scopes                  []string `json:"scopes"`
	GrantedScopes           []string `json:"granted_scopes"`
	MissingScopes           []string `json:"missing_scopes"`
	UseLoginUserCredentials bool     `json:"use_login_user_credentials"`
	Owner                   string   `json:"owner"`
	Status                  string   `json:"status"`
	MyStatus                string   `json:"my_status,omitempty"`
}

// CreateConnection is the body of POST /v1/connections.
type CreateConnection struct {
	Name                    string   `json:"name"`
	LinkName                string   `json:"link_name,omitempty"`
	Service                 string   `json:"service"`
	Application             string   `json:"application,omitempty"`
	Scopes                  []string `json:"scopes,omitempty"`
	UseLoginUserCredentials bool     `json:"use_login_user_credentials"`
}

// InvokeRequest is the body of POST /v1/invoke.
type InvokeRequest struct {
	URL        string            `json:"url"`
	Method     string            `json:"method"`
	Parameters map[string]string `json:"parameters,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       any               `json:"body,omitempty"`
	Connection string            `json:"connection"`
}

// InvokeResponse is the upstream's answer to an invoke.
type InvokeResponse struct {
	StatusCode int               `json:"status_code"`
	Headers    map[string]string `json:"headers"`
	Body       json.RawMessage   `json:"body"`
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Services lists services whose key, name or description match q.
func (c *Client) Services(ctx context.Context, q string) ([]Service, error) {
	return listAll[Service](ctx, c, "/v1/services?q="+url.QueryEscape(q))
}

// Connections lists connections, of one view ("mine", "shared") when set.
func (c *Client) Connections(ctx context.Context, view string) ([]Connection, error) {
	return listAll[Connection](ctx, c, "/v1/connections?view="+url.QueryEscape(view))
}

func listAll[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var all []T
	cursor := ""
	for {
		var p page[T]
		if err := c.Do(ctx, http.MethodGet, path+"&cursor="+url.QueryEscape(cursor), nil, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all, nil
		}
		cursor = p.NextCursor
	}
}

// Connection returns one connection.
func (c *Client) Connection(ctx context.Context, link string) (Connection, error) {
	var conn Connection
	err := c.Do(ctx, http.MethodGet, "/v1/connections/"+url.PathEscape(link), nil, &conn)
	return conn, err
}

// CreateConnection creates a connection.
func (c *Client) CreateConnection(ctx context.Context, in CreateConnection) (Connection, error) {
	var conn Connection
	err := c.Do(ctx, http.MethodPost, "/v1/connections", in, &conn)
	return conn, err
}

// Connect starts the OAuth flow and returns the authorization URL.
func (c *Client) Connect(ctx context.Context, link, returnTo string) (string, error) {
	var out struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	err := c.Do(ctx, http.MethodPost, "/v1/connections/"+url.PathEscape(link)+"/connect",
		map[string]string{"return_to": returnTo}, &out)
	return out.AuthorizationURL, err
}

// Revoke ends the caller's credential of a connection and reports whether
// the provider confirmed it.
func (c *Client) Revoke(ctx context.Context, link string) (bool, error) {
	var out struct {
		ProviderRevoked bool `json:"provider_revoked"`
	}
	err := c.Do(ctx, http.MethodPost, "/v1/connections/"+url.PathEscape(link)+"/revoke", nil, &out)
	return out.ProviderRevoked, err
}

// Invoke calls an API through a connection.
func (c *Client) Invoke(ctx context.Context, in InvokeRequest) (InvokeResponse, error) {
	var out InvokeResponse
	err := c.Do(ctx, http.MethodPost, "/v1/invoke", in, &out)
	return out, err
}

// Snippet is the sample code of a connection in one language.
type Snippet struct {
	Lang  string `json:"lang"`
	Label string `json:"label"`
	Code  string `json:"code"`
}

// SampleCode returns a connection's sample code in lang, or in every
// language when lang is empty.
func (c *Client) SampleCode(ctx context.Context, link, lang string) ([]Snippet, error) {
	path := "/v1/connections/" + url.PathEscape(link) + "/code"
	if lang == "" {
		var out page[Snippet]
		err := c.Do(ctx, http.MethodGet, path, nil, &out)
		return out.Items, err
	}
	var out Snippet
	if err := c.Do(ctx, http.MethodGet, path+"?lang="+url.QueryEscape(lang), nil, &out); err != nil {
		return nil, err
	}
	return []Snippet{out}, nil
}
