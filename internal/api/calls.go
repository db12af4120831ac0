package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/problem"
)

// proxy forwards any request under /v1/connections/{link}/proxy/ to the
// service's API base URL with the connection's credential.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request, c *Caller) error {
	call, err := s.conns.PrepareCall(r.Context(), c.Actor, r.PathValue("link"))
	if err != nil {
		return err
	}
	// PathValue is unescaped, so the escaped rest of the path comes from
	// the request URL: an encoded slash stays part of one segment.
	rest, _ := escapedProxyPath(r)
	target, err := call.Target(rest, r.URL.RawQuery)
	if err != nil {
		return err
	}
	if err := s.sender.Proxy(w, r, target, call.Allowlist, call.Authorizer); err != nil {
		return connections.EgressProblem(err, target.Host)
	}
	return nil
}

// escapedProxyPath returns the part of the request path after
// /v1/connections/{link}/proxy/ as the caller escaped it.
func escapedProxyPath(r *http.Request) (string, bool) {
	// Split at its first five slashes, the path is "", "v1",
	// "connections", the link name, "proxy" and the rest. An escaped slash
	// is not a separator, as in the route match.
	parts := strings.SplitN(r.URL.EscapedPath(), "/", 6)
	if len(parts) != 6 || parts[4] != "proxy" {
		return "", false
	}
	return parts[5], true
}

// invokeMethods are the HTTP methods invoke sends.
var invokeMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// invokeInput is the shape of Deluge's invokeurl task, and type is accepted
// as a synonym of method.
type invokeInput struct {
	URL        string            `json:"url"`
	Method     string            `json:"method"`
	Type       string            `json:"type"`
	Parameters map[string]any    `json:"parameters"`
	Headers    map[string]string `json:"headers"`
	Body       json.RawMessage   `json:"body"`
	Connection string            `json:"connection"`
}

type invokeOutput struct {
	StatusCode int               `json:"status_code"`
	Headers    map[string]string `json:"headers"`
	Body       any               `json:"body"`
	// BodyEncoding is "base64" when the body is not UTF-8 text, such as an
	// image, and was encoded to fit in JSON.
	BodyEncoding string `json:"body_encoding,omitempty"`
}

// invoke sends one request, through a connection when the body names one,
// and returns the whole response as JSON.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in invokeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.URL == "" {
		return problem.Invalid("invalid_url", "url is missing; give an absolute URL or a path under the service's API base URL")
	}
	method := strings.ToUpper(in.Method)
	if method == "" {
		method = strings.ToUpper(in.Type)
	}
	if method == "" {
		method = http.MethodGet
	}
	if !slices.Contains(invokeMethods, method) {
		return problem.Invalid("invalid_method", "method %q is not supported; use one of %s", method, strings.Join(invokeMethods, ", "))
	}

	req := &egress.Request{Method: method, Headers: in.Headers, Parameters: map[string]string{}}
	for k, v := range in.Parameters {
		req.Parameters[k] = egress.ParameterText(v)
	}
	body, err := invokeBody(in.Body)
	if err != nil {
		return err
	}
	req.Body = body

	var resp *egress.Response
	if in.Connection == "" {
		resp, err = s.invokeWithoutConnection(r, c, req, in.URL)
	} else {
		resp, err = s.invokeThroughConnection(r, c, req, in.Connection, in.URL)
	}
	if err != nil {
		return err
	}
	out := invokeOutput{StatusCode: resp.StatusCode, Headers: map[string]string{}}
	for k := range resp.Header {
		out.Headers[k] = resp.Header.Get(k)
	}
	if utf8.Valid(resp.Body) {
		out.Body = responseBody(resp.Header.Get("Content-Type"), resp.Body)
	} else {
		out.Body, out.BodyEncoding = base64.StdEncoding.EncodeToString(resp.Body), "base64"
	}
	return writeJSON(w, http.StatusOK, out)
}

// invokeThroughConnection sends req to rawURL, absolute or a path under the
// API base URL, with the connection's credential.
func (s *Server) invokeThroughConnection(r *http.Request, c *Caller, req *egress.Request, link, rawURL string) (*egress.Response, error) {
	call, err := s.conns.PrepareCall(r.Context(), c.Actor, link)
	if err != nil {
		return nil, err
	}
	target, err := call.Resolve(rawURL)
	if err != nil {
		return nil, err
	}
	req.URL = target.String()
	resp, err := s.sender.Do(r.Context(), req, call.Allowlist, call.Authorizer)
	if err != nil {
		return nil, connections.EgressProblem(err, target.Host)
	}
	return resp, nil
}

// invokeWithoutConnection sends req to the absolute rawURL with no
// credential.
func (s *Server) invokeWithoutConnection(r *http.Request, c *Caller, req *egress.Request, rawURL string) (*egress.Response, error) {
	target, err := s.conns.PlainCallTarget(c.Actor, rawURL)
	if err != nil {
		return nil, err
	}
	req.URL = target.String()
	resp, err := s.sender.DoWithoutCredential(r.Context(), req)
	if err != nil {
		return nil, connections.EgressProblem(err, target.Host)
	}
	s.logger.InfoContext(r.Context(), "sent a call without a connection",
		"org_id", c.Actor.OrgID, "user_id", c.Actor.UserID, "host", target.Host, "status", resp.StatusCode)
	return resp, nil
}

// invokeBody returns the bytes to send: a JSON string is sent as its text,
// any other JSON value as JSON, and null or absent as no body.
func invokeBody(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		return []byte(text), nil
	}
	return raw, nil
}

// responseBody returns a JSON response body as JSON and any other body as a
// string.
func responseBody(contentType string, body []byte) any {
	if strings.Contains(strings.ToLower(contentType), "json") && json.Valid(body) {
		return json.RawMessage(body)
	}
	return string(body)
}
