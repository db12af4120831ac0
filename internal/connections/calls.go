package connections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Call is everything needed to send requests through one connection on
// behalf of one member.
type Call struct {
	Connection store.Connection
	Service    catalog.Service
	BaseURL    *url.URL
	Allowlist  *egress.Allowlist
	Authorizer egress.Authorizer
}

// PrepareCall resolves the connection, its service and the credential that
// actor's calls use, and returns what egress needs to send them.
func (m *Manager) PrepareCall(ctx context.Context, actor Actor, link string) (*Call, error) {
	conn, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return nil, err
	}
	svc, err := m.connectionService(ctx, conn)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(svc.APIBaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing api_base_url of service %q: %w", svc.Key, err)
	}
	allow, err := egress.NewAllowlist(svc.APIBaseURL, svc.AllowedHosts)
	if err != nil {
		return nil, fmt.Errorf("building host allow-list of service %q: %w", svc.Key, err)
	}
	auth := &authorizer{m: m, conn: conn, svc: svc}
	if svc.AuthType != catalog.AuthNone {
		if auth.cred, err = m.callCredential(ctx, conn, actor); err != nil {
			return nil, err
		}
	}
	if extraBase, ok := extraBaseURL(svc, auth.cred); ok {
		// The provider named the API host of this credential, such as
		// Zoho's api_domain for the account's data centre: calls go there,
		// keeping the path of api_base_url.
		base = withHostOf(base, extraBase)
		if allow, err = egress.NewAllowlist(base.String(), append([]string{hostPort(extraBase)}, svc.AllowedHosts...)); err != nil {
			return nil, fmt.Errorf("building host allow-list of service %q: %w", svc.Key, err)
		}
	}
	m.noteUse(ctx, conn, actor)
	return &Call{Connection: conn, Service: svc, BaseURL: base, Allowlist: allow, Authorizer: auth}, nil
}

// extraBaseURL returns the URL in the credential's extra that the service
// names in APIBaseURLExtra, when it is an absolute http(s) URL with a host
// and nothing else. Whether the host may receive the credential over http is
// the allow-list's decision.
func extraBaseURL(svc catalog.Service, cred store.Credential) (*url.URL, bool) {
	if svc.APIBaseURLExtra == "" {
		return nil, false
	}
	raw, _ := cred.Extras[svc.APIBaseURLExtra].(string)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, false
	}
	return u, true
}

// withHostOf returns base with the scheme and host of host.
func withHostOf(base, host *url.URL) *url.URL {
	out := *base
	out.Scheme, out.Host = host.Scheme, host.Host
	return &out
}

// hostPort returns the host of u with its port, the scheme's default when
// u has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "http" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return net.JoinHostPort(u.Hostname(), "443")
}

// Target returns the API base URL joined with an escaped path and the raw
// query. The caller's escaping is kept, so an encoded slash such as the one
// in "projects/group%2Fproject" stays part of one segment. A path with a
// "." or ".." segment, which would climb out of the base path, is rejected.
func (c *Call) Target(escapedPath, rawQuery string) (*url.URL, error) {
	escapedPath = strings.TrimPrefix(escapedPath, "/")
	path, err := url.PathUnescape(escapedPath)
	if err != nil {
		return nil, problem.BadRequest("invalid_path", "path %q has an invalid escape; encode %% as %%25", escapedPath)
	}
	for _, segment := range strings.Split(escapedPath, "/") {
		decoded, _ := url.PathUnescape(segment)
		for _, part := range strings.Split(decoded, "/") {
			if part == "." || part == ".." {
				return nil, problem.BadRequest("invalid_path",
					"path %q has a %q segment, which would leave the API base URL; give the path without it", escapedPath, part)
			}
		}
	}
	u := *c.BaseURL
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + path
	u.RawPath = strings.TrimSuffix(c.BaseURL.EscapedPath(), "/") + "/" + escapedPath
	u.RawQuery = rawQuery
	return &u, nil
}

// Resolve returns raw as an absolute URL; a path, escaped as in a URL, is
// taken relative to the service's API base URL.
func (c *Call) Resolve(raw string) (*url.URL, error) {
	if strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") {
		path, query, _ := strings.Cut(raw, "?")
		return c.Target(path, query)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return nil, problem.Invalid("invalid_url", "url %q is not an absolute URL or a path under the API base URL %s", raw, c.BaseURL)
	}
	return u, nil
}

// authorizer puts a connection's credential on outgoing requests.
type authorizer struct {
	m       *Manager
	conn    store.Connection
	svc     catalog.Service
	cred    store.Credential
	current AccessToken
	secrets map[string]string
}

var _ egress.Authorizer = (*authorizer)(nil)

// Authorize sets the credential on req. With retry set, after an upstream
// 401, it refreshes the OAuth token once unless someone else already did.
func (a *authorizer) Authorize(ctx context.Context, req *http.Request, retry bool) error {
	switch a.svc.AuthType {
	case catalog.AuthNone:
		if retry {
			return egress.ErrNoRetry
		}
		return nil
	case catalog.AuthOAuth2, catalog.AuthOAuth2ClientCredentials:
		return a.authorizeOAuth(ctx, req, retry)
	case catalog.AuthBasic, catalog.AuthAPIKey:
		if retry {
			return egress.ErrNoRetry
		}
		return a.authorizeSecrets(req)
	}
	return problem.Invalid("unsupported_auth_type", "calls through services of auth type %q are not supported yet", a.svc.AuthType)
}

func (a *authorizer) authorizeOAuth(ctx context.Context, req *http.Request, retry bool) error {
	switch {
	case retry:
		renewable := a.cred.RefreshTokenSealed != "" || a.svc.AuthType == catalog.AuthOAuth2ClientCredentials
		if !renewable || a.current.sealed == "" {
			return egress.ErrNoRetry
		}
		token, err := a.m.refresh(ctx, a.conn, a.svc, a.cred, a.current.sealed)
		if err != nil {
			return err
		}
		a.current = token
	case a.current.sealed == "":
		token, err := a.m.freshToken(ctx, a.conn, a.svc, a.cred, "")
		if err != nil {
			return err
		}
		a.current = token
	}
	name, value := a.svc.CredentialHeader(a.current.Value.Reveal())
	req.Header.Set(name, value)
	return nil
}

func (a *authorizer) authorizeSecrets(req *http.Request) error {
	if a.secrets == nil {
		values, err := a.m.secretsOf(a.cred)
		if err != nil {
			return err
		}
		a.secrets = values
	}
	if a.svc.AuthType == catalog.AuthBasic {
		req.SetBasicAuth(a.secrets["username"], a.secrets["password"])
		return nil
	}
	for _, p := range a.svc.APIKey.Params {
		switch p.In {
		case "header":
			req.Header.Set(p.Name, a.secrets[p.Name])
		case "query":
			req.URL.RawQuery = setQueryValue(req.URL.RawQuery, p.Name, a.secrets[p.Name])
		case "form":
			if err := addFormValue(req, p.Name, a.secrets[p.Name]); err != nil {
				return err
			}
		default:
			return problem.Invalid("unsupported_placement",
				"API key parameter %q goes in the %s, which calls do not support; use header, query or form", p.Name, p.In)
		}
	}
	return nil
}

// setQueryValue returns rawQuery with every pair named name replaced by one
// name=value pair at the end. The caller's other pairs stay byte for byte,
// in their order and escaping, because APIs read forms such as x[]=1.
func setQueryValue(rawQuery, name, value string) string {
	var kept []string
	for _, pair := range strings.Split(rawQuery, "&") {
		if pair == "" {
			continue
		}
		key, _, _ := strings.Cut(pair, "=")
		if decoded, err := url.QueryUnescape(key); err == nil && decoded == name {
			continue
		}
		kept = append(kept, pair)
	}
	kept = append(kept, url.QueryEscape(name)+"="+url.QueryEscape(value))
	return strings.Join(kept, "&")
}

// addFormValue sets a form value in req's body, which must be empty or
// form-encoded and replayable. Invoke bodies are replayable, and proxied
// bodies are when they are small enough to buffer.
func addFormValue(req *http.Request, name, value string) error {
	var data []byte
	if req.Body != nil && req.Body != http.NoBody {
		contentType := req.Header.Get("Content-Type")
		if !strings.HasPrefix(strings.ToLower(contentType), "application/x-www-form-urlencoded") {
			return problem.Invalid("unsupported_placement",
				"the service sends API key parameter %q in a form body, but this request's body is %q; send application/x-www-form-urlencoded", name, contentType)
		}
		if req.GetBody == nil {
			return problem.Invalid("unsupported_placement",
				"the service sends API key parameter %q in a form body, and this request's body is too large to rewrite", name)
		}
		body, err := req.GetBody()
		if err != nil {
			return fmt.Errorf("reading the form body: %w", err)
		}
		data, err = io.ReadAll(body)
		body.Close()
		if err != nil {
			return fmt.Errorf("reading the form body: %w", err)
		}
	}
	values, err := url.ParseQuery(string(data))
	if err != nil {
		return problem.Invalid("invalid_body", "the form body cannot be parsed: %s", err.Error())
	}
	values.Set(name, value)
	encoded := values.Encode()
	req.Body = io.NopCloser(strings.NewReader(encoded))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(encoded)), nil }
	req.ContentLength = int64(len(encoded))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return nil
}

// redactedValue replaces an API key that an upstream repeated in a
// response header.
const redactedValue = "[redacted]"

var _ egress.ResponseRedactor = (*authorizer)(nil)

// RedactResponseHeader removes API keys placed in the query from every
// response header, because an upstream may repeat the request URL in any
// of them: a redirect's Location, a WWW-Authenticate challenge, or one of
// its own. A header that parses as a URL has its query values compared
// after decoding, so a key the upstream encoded its own way is found too.
func (a *authorizer) RedactResponseHeader(h http.Header) {
	if a.svc.AuthType != catalog.AuthAPIKey || a.svc.APIKey == nil || a.secrets == nil {
		return
	}
	var keys []string
	for _, p := range a.svc.APIKey.Params {
		if v := a.secrets[p.Name]; p.In == "query" && v != "" {
			keys = append(keys, v)
		}
	}
	if len(keys) == 0 {
		return
	}
	for _, lines := range h {
		for i, line := range lines {
			lines[i] = redactKeys(line, keys)
		}
	}
}

// redactKeys replaces every key in line: in a URL's decoded query values,
// then anywhere as sent, query-escaped or path-escaped.
func redactKeys(line string, keys []string) string {
	// Only a line with "?" parses to a URL with a query, and most headers
	// have none, so they skip the parse.
	if strings.Contains(line, "?") {
		line = redactQueryValues(line, keys)
	}
	for _, key := range keys {
		for _, form := range []string{key, url.QueryEscape(key), url.PathEscape(key)} {
			line = strings.ReplaceAll(line, form, redactedValue)
		}
	}
	return line
}

// redactQueryValues replaces every key among the decoded query values of
// line, when line parses as a URL with a query.
func redactQueryValues(line string, keys []string) string {
	u, err := url.Parse(line)
	if err != nil || u.RawQuery == "" {
		return line
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return line
	}
	changed := false
	for name, values := range query {
		for j, v := range values {
			if slices.Contains(keys, v) {
				query[name][j] = redactedValue
				changed = true
			}
		}
	}
	if !changed {
		return line
	}
	u.RawQuery = query.Encode()
	return u.String()
}

// EgressProblem maps the errors of egress.Sender to problems for callers,
// the host being the one the request went to.
func EgressProblem(err error, host string) error {
	if p, ok := problem.As(err); ok {
		return p
	}
	var notAllowed *egress.HostNotAllowedError
	var invalid *egress.InvalidResponseError
	switch {
	case errors.As(err, &notAllowed):
		// The allow-list's message is written for the caller: it names the
		// host and the fix, and never the URL's path or query.
		return problem.Wrap(err, http.StatusForbidden, "host_not_allowed", "%s", notAllowed.Error())
	case errors.Is(err, egress.ErrHostNotAllowed):
		return problem.Wrap(err, http.StatusForbidden, "host_not_allowed",
			"host %q is not an API host of this connection's service; add it to the service's allowed_hosts if the service owns it", host)
	case errors.Is(err, egress.ErrBlockedAddress):
		return problem.Wrap(err, http.StatusForbidden, "destination_blocked",
			"host %q resolves to a private, loopback or link-local address; start plugboard with --allow-private-egress in development", host)
	case errors.Is(err, egress.ErrInvalidRequest):
		return problem.Wrap(err, http.StatusUnprocessableEntity, "invalid_header",
			"the request cannot be sent as given (%s); fix it and send it again", err.Error())
	case errors.Is(err, egress.ErrTimeout):
		return problem.Wrap(err, http.StatusGatewayTimeout, "upstream_timeout",
			"the request to %q did not finish in time; invoke waits %s at most, so use the proxy for slow calls", host, egress.DefaultInvokeTimeout)
	case errors.Is(err, egress.ErrResponseTooLarge):
		return problem.Wrap(err, http.StatusBadGateway, "response_too_large", "the response from %q is too large for invoke; use the proxy", host)
	case errors.Is(err, egress.ErrTooManyRedirects):
		return problem.Wrap(err, http.StatusBadGateway, "too_many_redirects",
			"the request to %q was redirected more than 10 times; call the URL that the redirects end at", host)
	case errors.As(err, &invalid):
		return problem.Wrap(err, http.StatusBadGateway, "upstream_response_invalid",
			"the upstream %q responded, but its response cannot be passed on: %s", host, invalid.Reason)
	}
	return problem.Wrap(err, http.StatusBadGateway, "upstream_unreachable", "the request to %q failed: the upstream could not be reached", host)
}
