package egress

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// upstream is a test API server on 127.0.0.1 that records what reaches it.
type upstream struct {
	*httptest.Server

	mu       sync.Mutex
	requests []recordedRequest
	conns    atomic.Int32
}

type recordedRequest struct {
	Method   string
	Host     string
	Path     string
	RawQuery string
	Header   http.Header
	Body     string
}

// newUpstream starts an upstream whose handler gets the 1-based number of
// the request. The handler reads the recorded body from the argument, not
// from r.Body.
func newUpstream(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int, body string)) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("upstream reading body: %v", err)
		}
		u.mu.Lock()
		u.requests = append(u.requests, recordedRequest{
			Method:   r.Method,
			Host:     r.Host,
			Path:     r.URL.Path,
			RawQuery: r.URL.RawQuery,
			Header:   r.Header.Clone(),
			Body:     string(body),
		})
		n := len(u.requests)
		u.mu.Unlock()
		handler(w, r, n, string(body))
	}))
	u.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			u.conns.Add(1)
		}
	}
	u.Start()
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) recorded() []recordedRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recordedRequest(nil), u.requests...)
}

func (u *upstream) hostPort() string {
	return u.Listener.Addr().String()
}

// fakeAuthorizer sets "Bearer stale-token" until a retry refreshes it to
// "Bearer fresh-token". With retryErr set, a retry fails with that error.
type fakeAuthorizer struct {
	mu       sync.Mutex
	token    string
	retryErr error
	calls    int
	retries  int
}

func newFakeAuthorizer() *fakeAuthorizer {
	return &fakeAuthorizer{token: "stale-token"}
}

func (a *fakeAuthorizer) Authorize(_ context.Context, req *http.Request, retry bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if retry {
		a.retries++
		if a.retryErr != nil {
			return a.retryErr
		}
		a.token = "fresh-token"
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	return nil
}

func (a *fakeAuthorizer) counts() (calls, retries int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls, a.retries
}

// queryKeyAuthorizer puts the credential into the query, as API key
// services with the key "in: query" do.
type queryKeyAuthorizer struct{ key string }

func (a queryKeyAuthorizer) Authorize(_ context.Context, req *http.Request, _ bool) error {
	q := req.URL.Query()
	q.Set("api_key", a.key)
	req.URL.RawQuery = q.Encode()
	return nil
}

// redactingAuthorizer puts its key into the query like queryKeyAuthorizer
// and, as a ResponseRedactor, replaces the key with "REDACTED" in the
// Location, Content-Location and Link response headers.
type redactingAuthorizer struct{ queryKeyAuthorizer }

func (a redactingAuthorizer) RedactResponseHeader(h http.Header) {
	for _, name := range []string{"Location", "Content-Location", "Link"} {
		for i, value := range h[name] {
			h[name][i] = strings.ReplaceAll(value, a.key, "REDACTED")
		}
	}
}

// headerContaining returns the name of the first header whose name or value
// contains s, or "" when there is none.
func headerContaining(h http.Header, s string) string {
	for name, values := range h {
		if strings.Contains(name, s) {
			return name
		}
		for _, value := range values {
			if strings.Contains(value, s) {
				return name
			}
		}
	}
	return ""
}

func newTestSender(t *testing.T, allowPrivate bool) *Sender {
	t.Helper()
	transport := NewTransport(TransportOptions{AllowPrivate: allowPrivate})
	t.Cleanup(transport.CloseIdleConnections)
	return &Sender{
		Client: &http.Client{Transport: transport},
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// allowlistFor allows the first server as the API base URL and the others
// as extra hosts.
func allowlistFor(t *testing.T, base *upstream, extra ...*upstream) *Allowlist {
	t.Helper()
	var hosts []string
	for _, u := range extra {
		hosts = append(hosts, u.hostPort())
	}
	allow, err := NewAllowlist(base.URL+"/v1", hosts)
	if err != nil {
		t.Fatalf("NewAllowlist: %v", err)
	}
	return allow
}

// proxyFront is the plugboard side of a proxy test: a server whose handler
// proxies every request to the same path and query on the upstream.
type proxyFront struct {
	*httptest.Server

	mu   sync.Mutex
	errs []error
}

func newProxyFront(t *testing.T, sender *Sender, up *upstream, allow *Allowlist, auth Authorizer) *proxyFront {
	t.Helper()
	f := &proxyFront{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, err := url.Parse(up.URL + r.URL.Path)
		if err != nil {
			t.Errorf("building target URL: %v", err)
			return
		}
		target.RawQuery = r.URL.RawQuery
		if err := sender.Proxy(w, r, target, allow, auth); err != nil {
			f.mu.Lock()
			f.errs = append(f.errs, err)
			f.mu.Unlock()
			http.Error(w, "proxy failed", http.StatusBadGateway)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *proxyFront) proxyErrors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

// client returns a client of the front server that does not follow
// redirects.
func (f *proxyFront) client() *http.Client {
	c := f.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}
