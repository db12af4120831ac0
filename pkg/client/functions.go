package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Function is a stored Deluge script.
type Function struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Language    string    `json:"language"`
	Script      string    `json:"script"`
	Connections []string  `json:"connections"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CreateFunction is the body of POST /v1/functions.
type CreateFunction struct {
	Name     string `json:"name"`
	Language string `json:"language,omitempty"`
	Script   string `json:"script"`
}

// FunctionRun is the result of running a function.
type FunctionRun struct {
	Result     json.RawMessage `json:"result"`
	Log        []string        `json:"log"`
	DurationMS int64           `json:"duration_ms"`
}

// Functions lists the org's functions by name.
func (c *Client) Functions(ctx context.Context) ([]Function, error) {
	return listAll[Function](ctx, c, "/v1/functions?limit=200")
}

// CreateFunction stores a new function. A script that does not parse
// returns an *Error with code script_invalid and its Line and Column.
func (c *Client) CreateFunction(ctx context.Context, in CreateFunction) (Function, error) {
	var out Function
	err := c.Do(ctx, http.MethodPost, "/v1/functions", in, &out)
	return out, err
}

// DeleteFunction deletes a function.
func (c *Client) DeleteFunction(ctx context.Context, name string) error {
	return c.Do(ctx, http.MethodDelete, "/v1/functions/"+url.PathEscape(name), nil, nil)
}

// RunFunction runs a function as the token's member. A failed run returns
// an *Error with code function_failed, its Line, Column and Log.
func (c *Client) RunFunction(ctx context.Context, name string, arguments map[string]any) (FunctionRun, error) {
	var out FunctionRun
	in := map[string]any{"arguments": arguments}
	err := c.Do(ctx, http.MethodPost, "/v1/functions/"+url.PathEscape(name)+"/run", in, &out)
	return out, err
}
