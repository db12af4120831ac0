package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is the number of redirects Do follows, as many as
// http.Client follows by default.
const maxRedirects = 10

// Request is an invoke call, shaped like Deluge's invokeurl.
type Request struct {
	// Method is the HTTP method. Empty means GET.
	Method string
	// URL is the absolute http or https URL to call.
	URL string
	// Parameters go into the query for GET, HEAD and DELETE, and when Body is
	// set. For other methods without Body they become a form-encoded body.
	Parameters map[string]string
	// Headers are sent as given, except Authorization, Host, Content-Length
	// and hop-by-hop headers, which are dropped.
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
// ErrResponseTooLarge.
//
// After an upstream 401 the request is authorized again with retry set and
// sent once more. Do follows up to 10 redirects, but only to hosts that allow
// allows, and authorizes each hop again, because the credential must reach
// every allowed host and no other. A redirect to any other host is not
// followed: its 3xx response is returned as it is. A 301, 302 or 303 turns a
// request other than GET or HEAD into a GET without body; 307 and 308 keep
// the method and body.
//
// When the allow-list rejects the URL, nothing is sent and the error wraps
// ErrHostNotAllowed. When the egress guard blocks the destination, the error
// wraps ErrBlockedAddress. Errors of the Authorizer are wrapped as well.
func (s *Sender) Do(ctx context.Context, req *Request, allow *Allowlist, auth Authorizer) (*Response, error) {
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
	s.logger().DebugContext(ctx, "invoked URL",
		"method", resp.Request.Method, "host", resp.Request.URL.Host, "status", resp.StatusCode)

	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// newInvokeRequest builds the unauthorized HTTP request of an invoke call.
func newInvokeRequest(ctx context.Context, req *Request) (*http.Request, error) {
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}

	target, err := url.Parse(req.URL)
	if err != nil {
		// Report only the cause, because the URL may contain the caller's own secrets.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("invalid URL: %w", err)
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
		return nil, fmt.Errorf("building %s request: %w", method, err)
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
			return nil, fmt.Errorf("stopped after %d redirects; the last one pointed to host %s", maxRedirects, next.URL.Host)
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
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(body)) > maxBody {
		return nil, tooLarge
	}
	return body, nil
}
