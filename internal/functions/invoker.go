package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/deluge"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/problem"
)

// CallError is a failed invokeurl task: a stable code, such as
// authorization_required, and a message safe to show, with the cause kept
// for the log.
type CallError struct {
	Code    string
	Message string
	// Extra members for the problem document, such as a connect URL.
	Extra map[string]any
	Err   error
}

func (e *CallError) Error() string { return e.Message }

func (e *CallError) Unwrap() error { return e.Err }

func callError(err error) *CallError {
	if p, ok := problem.As(err); ok {
		return &CallError{Code: p.Code, Message: p.Detail, Extra: p.Extra, Err: err}
	}
	return &CallError{Code: "call_failed", Message: "the call failed inside plugboard; see the server log", Err: err}
}

// invoker sends the invokeurl tasks of one run through connections, as the
// member who runs the function.
type invoker struct {
	s     *Service
	actor connections.Actor
	// calls caches the prepared call of each connection for the run, so
	// the credential is looked up once.
	calls map[string]*connections.Call
}

var _ deluge.Invoker = (*invoker)(nil)

// Invoke sends one request, the way POST /v1/invoke does.
func (inv *invoker) Invoke(ctx context.Context, req deluge.InvokeRequest) (deluge.InvokeResponse, error) {
	if req.Connection == "" {
		return inv.invokePlain(ctx, req)
	}
	call, ok := inv.calls[req.Connection]
	if !ok {
		var err error
		if call, err = inv.s.conns.PrepareCall(ctx, inv.actor, req.Connection); err != nil {
			return deluge.InvokeResponse{}, callError(err)
		}
		inv.calls[req.Connection] = call
	}
	target, err := call.Resolve(req.URL)
	if err != nil {
		return deluge.InvokeResponse{}, callError(err)
	}
	out, err := egressRequest(req, target)
	if err != nil {
		return deluge.InvokeResponse{}, err
	}
	resp, err := inv.s.sender.Do(ctx, out, call.Allowlist, call.Authorizer)
	if err != nil {
		return deluge.InvokeResponse{}, callError(connections.EgressProblem(err, target.Host))
	}
	return deluge.InvokeResponse{StatusCode: resp.StatusCode, Header: resp.Header, Body: resp.Body}, nil
}

// invokePlain sends a task without a connection to its absolute URL with no
// credential, under the rules of POST /v1/invoke without a connection.
func (inv *invoker) invokePlain(ctx context.Context, req deluge.InvokeRequest) (deluge.InvokeResponse, error) {
	target, err := inv.s.conns.PlainCallTarget(inv.actor, req.URL)
	if err != nil {
		return deluge.InvokeResponse{}, callError(err)
	}
	out, err := egressRequest(req, target)
	if err != nil {
		return deluge.InvokeResponse{}, err
	}
	resp, err := inv.s.sender.DoWithoutCredential(ctx, out)
	if err != nil {
		return deluge.InvokeResponse{}, callError(connections.EgressProblem(err, target.Host))
	}
	return deluge.InvokeResponse{StatusCode: resp.StatusCode, Header: resp.Header, Body: resp.Body}, nil
}

// egressRequest translates an invokeurl task to an egress request. The
// content-type key sets the Content-Type header. A KEY-VALUE body is sent
// as JSON when the content type names JSON. Otherwise it is form-encoded,
// as Zoho sends a KEY-VALUE body. A LIST body is sent as JSON. Parameters go
// into the query for GET and DELETE and become a form body for other
// methods without a body, except that with a JSON content type they become
// a JSON body.
func egressRequest(req deluge.InvokeRequest, target *url.URL) (*egress.Request, error) {
	// The content-type key replaces any Content-Type header, whatever its
	// case.
	headers := make(map[string]string, len(req.Headers)+1)
	contentType := req.ContentType
	for name, value := range req.Headers {
		if strings.EqualFold(name, "Content-Type") {
			if req.ContentType != "" {
				continue
			}
			if contentType == "" {
				contentType = value
			}
		}
		headers[name] = value
	}
	if req.ContentType != "" {
		headers["Content-Type"] = req.ContentType
	}
	isJSON := strings.Contains(strings.ToLower(contentType), "json")

	out := &egress.Request{Method: req.Method, URL: target.String(), Headers: headers}
	params := make(map[string]string, len(req.Parameters))
	for name, value := range req.Parameters {
		params[name] = egress.ParameterText(value)
	}
	body := req.Body
	if body == nil && len(req.Parameters) > 0 && isJSON && req.Method != "GET" && req.Method != "DELETE" {
		body, params = req.Parameters, nil
	}
	out.Parameters = params

	switch b := body.(type) {
	case nil:
	case string:
		out.Body = []byte(b)
	case *deluge.Map:
		if isJSON {
			data, err := json.Marshal(b)
			if err != nil {
				return nil, fmt.Errorf("encoding body: %w", err)
			}
			out.Body = data
			break
		}
		form := url.Values{}
		for _, key := range b.Keys() {
			value, _ := b.Get(key)
			form.Set(key, egress.ParameterText(value))
		}
		out.Body = []byte(form.Encode())
		if contentType == "" {
			headers["Content-Type"] = "application/x-www-form-urlencoded"
		}
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encoding body: %w", err)
		}
		out.Body = data
		if contentType == "" {
			headers["Content-Type"] = "application/json"
		}
	}
	return out, nil
}
