package egress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// maxRedirects is the number of redirects Do follows, as many as
// http.Client follows by default.
const maxRedirects = 10

// Request is an invoke call, shaped like Deluge's invokeurl.
type Request struct {
	// Method is the HTTP method, an RFC 9110 token. Empty means GET.
	Method string
	// URL is the absolute http or https URL to call.
	URL string
	// Parameters go into the query for GET, HEAD and DELETE, and when Body is
	// set. For other methods without Body they become a form-encoded body.
	Parameters map[string]string
	// Headers are sent as given, except Authorization, Host, Content-Length
	// and hop-by-hop headers, which are dropped. Every name must be a token,
	// and no value may contain a control character other than tab.
	Headers map[string]string
	// Body is sent as the request body when not nil.
	Body []byte
}

// Response is the upstream response to an invoke call.
type Response struct {
	StatusCode int
	// Header is the response header without hop-by-hop headers.
	Header http.Header
	Body   []byte
}

// Do sends an invoke request with the connection's credential and reads the
// whole response, at most MaxResponseBody bytes; a longer body fails with
// ErrResponseTooLarge. The whole call, redirects, retry and body included,
// must finish within InvokeTimeout, or it fails with ErrTimeout.
//
// After an upstream 401 the request is authorized again with retry set and
// sent once more. Do follows up to 10 redirects, but only to hosts that allow
// allows, and authorizes each hop again, because the credential must reach
// every allowed host and no other. A redirect to any other host, or with a
// Location that cannot be parsed, is not followed: its 3xx response is
// returned as it is. A 301, 302 or 303 turns a request other than GET or HEAD
// into a GET without body; 307 and 308 keep the method and body. When auth is
// a ResponseRedactor, it removes the credential from the returned header.
//
// When the URL, the method or a header is invalid, nothing is sent and the
// error wraps ErrInvalidRequest. When the allow-list rejects the URL, nothing
// is sent and the error wraps ErrHostNotAllowed. When the egress guard blocks
// the destination, the error wraps ErrBlockedAddress. Errors of the
// Authorizer, and the context's error when ctx ends first, are wrapped as
// well.
func (s *Sender) Do(ctx context.Context, req *Request, allow *Allowlist, auth Authorizer) (*Response, error) {
	limit := s.invokeTimeout()
	errTimedOut := fmt.Errorf("%w: the call took longer than the limit of %s", ErrTimeout, limit)
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errTimedOut)
	defer cancel()

	resp, err := s.do(ctx, req, allow, auth)
	// The cause distinguishes this limit from a deadline or cancellation of
	// the caller's context.
	if err != nil && context.Cause(ctx) == errTimedOut {
		s.logger().InfoContext(ctx, "invoke call timed out", "limit", limit, "error", err)
		return nil, errTimedOut
	}
	return resp, err
}

func (s *Sender) do(ctx context.Context, req *Request, allow *Allowlist, auth Authorizer) (*Response, error) {
	httpReq, err := newInvokeRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := allow.Check(httpReq.URL); err != nil {
		return nil, err
	}

	resp, err := s.sendFollowingRedirects(httpReq, allow, auth)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	body, err := readLimited(resp, s.maxResponseBody())
	if err != nil {
		return nil, err
	}
	removeHopByHopHeaders(resp.Header)
	redactResponseHeader(resp.Header, auth)
	s.logger().DebugContext(ctx, "invoked URL",
		"method", resp.Request.Method, "host", resp.Request.URL.Host, "status", resp.StatusCode)

	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// newInvokeRequest validates an invoke call and builds its unauthorized HTTP
// request. Its errors wrap ErrInvalidRequest.
func newInvokeRequest(ctx context.Context, req *Request) (*http.Request, error) {
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	if !isToken(method) {
		return nil, fmt.Errorf("%w: method %q is not a valid HTTP method; use a method such as GET or POST", ErrInvalidRequest, method)
	}
	if err := validateHeaders(req.Headers); err != nil {
		return nil, err
	}

	target, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: the URL is invalid: %w", ErrInvalidRequest, urlErrorCause(err))
	}

	body := req.Body
	formBody := false
	if len(req.Parameters) > 0 {
		params := url.Values{}
		for name, value := range req.Parameters {
			params.Set(name, value)
		}
		switch {
		case body != nil || method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete:
			target.RawQuery = appendQuery(target.RawQuery, params.Encode())
		default:
			body = []byte(params.Encode())
			formBody = true
		}
	}

	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	httpReq, err := http.NewRequestWithContext(ctx, method, target.String(), bodyReader)
	if err != nil {
		return nil, fmt.Errorf("%w: building the %s request failed: %w", ErrInvalidRequest, method, urlErrorCause(err))
	}

	for name, value := range req.Headers {
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Host", "Content-Length":
			continue
		}
		httpReq.Header.Set(name, value)
	}
	removeHopByHopHeaders(httpReq.Header)
	if formBody && httpReq.Header.Get("Content-Type") == "" {
		httpReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return httpReq, nil
}

// validateHeaders checks what the HTTP transport would otherwise reject while
// sending: each header name must be a token, and no value may contain a
// control character other than tab (CR, LF and NUL included). Errors name
// the header but never show its value, which may be a secret.
func validateHeaders(headers map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		if !isToken(name) {
			return fmt.Errorf("%w: header %q has an invalid name; "+
				"use only letters, digits and !#$%%&'*+-.^_`|~", ErrInvalidRequest, name)
		}
		if strings.ContainsFunc(headers[name], isControl) {
			return fmt.Errorf("%w: header %q has a value with a control character such as CR, LF or NUL; "+
				"remove it", ErrInvalidRequest, name)
		}
	}
	return nil
}

// isToken reports whether s is a token of RFC 9110 section 5.6.2, the syntax
// of methods and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		isAlnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !isAlnum && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// isControl reports whether r is a control character that a header value must
// not contain: any below space except tab, and DEL.
func isControl(r rune) bool {
	return r < ' ' && r != '\t' || r == 0x7f
}

// urlErrorCause returns the cause of a *url.Error, whose message would
// repeat the whole URL and with it any secret in the URL, and err otherwise.
func urlErrorCause(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

func appendQuery(rawQuery, extra string) string {
	if rawQuery == "" {
		return extra
	}
	return rawQuery + "&" + extra
}

// sendFollowingRedirects sends req and follows redirects by hand rather than
// through http.Client.CheckRedirect, so every hop passes the same allow-list
// check, authorization and 401 retry as the first request.
func (s *Sender) sendFollowingRedirects(req *http.Request, allow *Allowlist, auth Authorizer) (*http.Response, error) {
	for redirects := 0; ; redirects++ {
		resp, err := s.sendAuthorized(req, allow, auth)
		if err != nil {
			return nil, err
		}

		next := s.redirectRequest(req, resp, allow)
		if next == nil {
			return resp, nil
		}
		discardBody(resp)
		if redirects == maxRedirects {
			return nil, fmt.Errorf("%w: stopped after %d redirects; the last one pointed to host %s", ErrTooManyRedirects, maxRedirects, next.URL.Host)
		}
		req = next
	}
}

// redirectRequest returns the unauthorized request of the next redirect hop,
// or nil when resp is not a redirect that may be followed.
func (s *Sender) redirectRequest(req *http.Request, resp *http.Response, allow *Allowlist) *http.Request {
	keepBody := false
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		keepBody = true
	default:
		return nil
	}

	location := resp.Header.Get("Location")
	if location == "" {
		return nil
	}
	target, err := req.URL.Parse(location)
	if err != nil {
		s.logger().InfoContext(req.Context(), "redirect not followed: invalid Location header",
			"host", req.URL.Host, "status", resp.StatusCode)
		return nil
	}
	if err := allow.Check(target); err != nil {
		s.logger().InfoContext(req.Context(), "redirect not followed: target host is not allowed",
			"host", req.URL.Host, "target_host", target.Host, "status", resp.StatusCode)
		return nil
	}

	next := req.Clone(req.Context())
	next.URL = target
	next.Host = ""
	if !keepBody {
		if next.Method != http.MethodGet && next.Method != http.MethodHead {
			next.Method = http.MethodGet
		}
		next.Body = nil
		next.GetBody = nil
		next.ContentLength = 0
		next.Header.Del("Content-Type")
	} else if !bodyReplayable(req) {
		return nil
	} else if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil
		}
		next.Body = body
	}

	// Like http.Client, drop the caller's cookies when the host changes.
	if !strings.EqualFold(target.Host, req.URL.Host) {
		next.Header.Del("Cookie")
		next.Header.Del("Cookie2")
	}
	return next
}

// readLimited reads the whole response body, failing when it is longer than
// maxBody bytes.
func readLimited(resp *http.Response, maxBody int64) ([]byte, error) {
	tooLarge := fmt.Errorf("%w: the limit is %d bytes", ErrResponseTooLarge, maxBody)
	if resp.ContentLength > maxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, &InvalidResponseError{Reason: "the response body ended before its declared length"}
	}
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(body)) > maxBody {
		return nil, tooLarge
	}
	return body, nil
}

// ParameterText renders a decoded JSON value as a query or form parameter:
// a string as it is, any other value in its JSON form.
func ParameterText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, _ := json.Marshal(v)
	return string(data)
}
