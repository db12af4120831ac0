package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/plugboard/plugboard/internal/testkit"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/cached"
	"github.com/plugboard/plugboard/internal/store/sqlite"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// adminToken is the admin's API token given to members.Bootstrap. It has
// the pb_ prefix of real tokens, so a leak of it is easy to recognize.
const adminToken = "pb_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978"

// stackOptions configure newStack.
type stackOptions struct {
	// blockPrivate keeps the egress guard on, so loopback upstreams are
	// rejected as in production.
	blockPrivate bool
	// instanceOf, when set, makes the stack a second instance of that
	// stack: its own store, cache and server on the same SQLite file, with
	// the same master key.
	instanceOf *stack
}

// stack is plugboard wired as cmd/plugboard wires it: SQLite in a temporary
// folder behind the store's cache, a real keyring, the connections manager,
// the egress sender and the API server on 127.0.0.1. Every response that do returns is recorded, and a
// cleanup fails the test when a registered secret appears in any of them.
type stack struct {
	t      *testing.T
	url    string
	store  *sqlite.Store
	dbPath string
	keys   *secrets.Keyring
	orgID  string
	client *http.Client
	logs   *testkit.LockedBuffer

	mu        sync.Mutex
	responses []response
	secrets   []string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	return newStackWith(t, stackOptions{})
}

func newStackWith(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	ctx := context.Background()
	logs := &testkit.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	dbPath := filepath.Join(t.TempDir(), "plugboard.db")
	if opts.instanceOf != nil {
		dbPath = opts.instanceOf.dbPath
	}
	backend, err := sqlite.Open(ctx, dbPath, logger)
	if err != nil {
		t.Fatalf("opening sqlite: %v", err)
	}
	t.Cleanup(func() { _ = backend.Close() })
	st := cached.New(backend, cached.Options{})

	var keyring *secrets.Keyring
	if opts.instanceOf != nil {
		keyring = opts.instanceOf.keys
	} else {
		key, err := secrets.GenerateKey()
		if err != nil {
			t.Fatalf("generating master key: %v", err)
		}
		if keyring, err = secrets.NewKeyring("test", map[string][]byte{"test": key}); err != nil {
			t.Fatalf("building keyring: %v", err)
		}
	}

	boot, err := members.Bootstrap(ctx, backend, adminToken, "", time.Now())
	if err != nil {
		t.Fatalf("bootstrapping: %v", err)
	}
	orgID := boot.OrgID
	if opts.instanceOf != nil {
		orgID = opts.instanceOf.orgID
	} else if !boot.Created {
		t.Fatal("bootstrap created no org on an empty database")
	}

	// The listener exists before the server starts, so the public URL is
	// known when the manager is built.
	srv := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + srv.Listener.Addr().String()

	transport := egress.TransportOptions{AllowPrivate: !opts.blockPrivate}
	manager := connections.New(connections.Options{
		Store:      st,
		Keyring:    keyring,
		PublicURL:  publicURL,
		HTTPClient: &http.Client{Transport: egress.NewTransport(transport)},
		Logger:     logger,
	})
	auditLog := audit.New(st, logger, nil)
	server := api.New(api.Options{
		Members:     members.NewManager(members.Options{Store: st, Audit: auditLog, Credentials: manager, Logger: logger}),
		Audit:       auditLog,
		Webhooks:    webhooks.New(webhooks.Options{Store: st, Keyring: keyring, Audit: auditLog, Logger: logger}),
		Store:       st,
		Connections: manager,
		Sender:      egress.NewSender(transport, logger),
		Logger:      logger,
	})
	srv.Config.Handler = server.Handler()
	srv.Start()
	t.Cleanup(srv.Close)

	s := &stack{
		t:      t,
		url:    srv.URL,
		store:  backend,
		dbPath: dbPath,
		keys:   keyring,
		orgID:  orgID,
		// Redirects come back to the test as they are, so it can check them.
		client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		logs: logs,
	}
	if s.url != publicURL {
		t.Fatalf("server URL = %q, want the public URL %q", s.url, publicURL)
	}
	s.addSecret(adminToken)
	t.Cleanup(s.checkNoSecretLeaked)
	return s
}

// addSecret registers a value that no response may contain.
func (s *stack) addSecret(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, v)
}

// checkNoSecretLeaked fails the test when a registered secret appears in
// the body or headers of any recorded response, or in the server's log.
// Messages name a secret by its registration index, never by its value.
func (s *stack) checkNoSecretLeaked() {
	logs := s.logs.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, secret := range s.secrets {
		if strings.Contains(logs, secret) {
			s.t.Errorf("server log contains registered secret %d", i)
		}
		for _, resp := range s.responses {
			if bytes.Contains(resp.body, []byte(secret)) {
				s.t.Errorf("response to %s contains registered secret %d in its body", resp.request, i)
			}
			for name, values := range resp.header {
				for _, v := range values {
					if strings.Contains(v, secret) {
						s.t.Errorf("response to %s contains registered secret %d in header %s", resp.request, i, name)
					}
				}
			}
		}
	}
}

// countResponsesContaining returns how many recorded response bodies
// contain v.
func (s *stack) countResponsesContaining(v string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, resp := range s.responses {
		if bytes.Contains(resp.body, []byte(v)) {
			n++
		}
	}
	return n
}

// addUser creates a member with the given role directly in the store and
// returns an API token of theirs.
func (s *stack) addUser(username, role string) string {
	s.t.Helper()
	ctx := context.Background()
	user := store.User{OrgID: s.orgID, ID: members.NewID(), Username: username, Role: role, CreatedAt: time.Now()}
	if err := s.store.CreateUser(ctx, user); err != nil {
		s.t.Fatalf("creating user %q: %v", username, err)
	}
	token, _, err := members.IssueToken(ctx, s.store, s.orgID, user.ID, username+"-token", nil, time.Now())
	if err != nil {
		s.t.Fatalf("issuing token for %q: %v", username, err)
	}
	s.addSecret(string(token))
	return string(token)
}

// response is one recorded HTTP response.
type response struct {
	request string
	status  int
	header  http.Header
	body    []byte
}

// do sends a request to plugboard with token as bearer token, or without
// one when token is empty. A string body is sent as it is, a nil body not
// at all, and any other body as JSON.
func (s *stack) do(method, path, token string, body any) response {
	s.t.Helper()
	return s.doWith(method, path, token, body, nil)
}

// admin sends a request with the admin's token.
func (s *stack) admin(method, path string, body any) response {
	s.t.Helper()
	return s.doWith(method, path, adminToken, body, nil)
}

// doWith is do with extra request headers.
func (s *stack) doWith(method, path, token string, body any, header http.Header) response {
	s.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("encoding request body: %v", err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, reader)
	if err != nil {
		s.t.Fatalf("building request %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, values := range header {
		req.Header[name] = values
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("reading response of %s %s: %v", method, path, err)
	}
	out := response{request: method + " " + path, status: resp.StatusCode, header: resp.Header, body: raw}
	s.mu.Lock()
	s.responses = append(s.responses, out)
	s.mu.Unlock()
	return out
}

// wantStatus fails the test when resp has another status.
func wantStatus(t *testing.T, resp response, want int) {
	t.Helper()
	if resp.status != want {
		t.Fatalf("%s: status = %d, want %d; body: %s", resp.request, resp.status, want, resp.body)
	}
}

// decode decodes resp's JSON body into a value of type T.
func decode[T any](t *testing.T, resp response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(resp.body, &v); err != nil {
		t.Fatalf("%s: decoding body %s: %v", resp.request, resp.body, err)
	}
	return v
}

// problemBody is an RFC 9457 problem document with plugboard's members.
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// wantProblem checks that resp is a problem document with the given status
// and code and every standard member, and returns it.
func wantProblem(t *testing.T, resp response, status int, code string) problemBody {
	t.Helper()
	wantStatus(t, resp, status)
	if got := resp.header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", resp.request, got)
	}
	p := decode[problemBody](t, resp)
	if p.Code != code {
		t.Fatalf("%s: code = %q, want %q; detail: %s", resp.request, p.Code, code, p.Detail)
	}
	if p.Status != status {
		t.Errorf("%s: status member = %d, want %d", resp.request, p.Status, status)
	}
	if want := http.StatusText(status); p.Title != want {
		t.Errorf("%s: title = %q, want %q", resp.request, p.Title, want)
	}
	if want := "https://plugboard.dev/problems/" + code; p.Type != want {
		t.Errorf("%s: type = %q, want %q", resp.request, p.Type, want)
	}
	if p.Detail == "" {
		t.Errorf("%s: detail is empty", resp.request)
	}
	return p
}

// connectionBody is a connection as the API returns it.
type connectionBody struct {
	LinkName                string   `json:"link_name"`
	Name                    string   `json:"name"`
	Description             string   `json:"description"`
	Service                 string   `json:"service"`
	Application             string   `json:"application"`
	Scopes                  []string `json:"scopes"`
	GrantedScopes           []string `json:"granted_scopes"`
	UseLoginUserCredentials bool     `json:"use_login_user_credentials"`
	Owner                   string   `json:"owner"`
	Status                  string   `json:"status"`
}

// applicationBody is an application as the API returns it.
type applicationBody struct {
	ID              string `json:"id"`
	Service         string `json:"service"`
	Name            string `json:"name"`
	ClientID        string `json:"client_id"`
	HasClientSecret bool   `json:"has_client_secret"`
	RedirectURI     string `json:"redirect_uri"`
	Default         bool   `json:"default"`
}

// createService creates a custom service and fails the test unless it
// gets 201.
func (s *stack) createService(def map[string]any) {
	s.t.Helper()
	wantStatus(s.t, s.admin("POST", "/v1/services", def), http.StatusCreated)
}

// createApplication creates an application and returns it.
func (s *stack) createApplication(body map[string]any) applicationBody {
	s.t.Helper()
	if secret, ok := body["client_secret"].(string); ok && secret != "" {
		s.addSecret(secret)
	}
	resp := s.admin("POST", "/v1/applications", body)
	wantStatus(s.t, resp, http.StatusCreated)
	return decode[applicationBody](s.t, resp)
}

// createConnection creates a connection with the token given and returns
// it.
func (s *stack) createConnection(token string, body map[string]any) connectionBody {
	s.t.Helper()
	resp := s.do("POST", "/v1/connections", token, body)
	wantStatus(s.t, resp, http.StatusCreated)
	return decode[connectionBody](s.t, resp)
}

// connectWithSecrets connects an api_key or basic connection and fails the
// test unless it reports connected. Each credential value becomes a
// registered secret.
func (s *stack) connectWithSecrets(link string, credentials map[string]string) {
	s.t.Helper()
	for _, v := range credentials {
		s.addSecret(v)
	}
	resp := s.admin("POST", "/v1/connections/"+link+"/connect", map[string]any{"credentials": credentials})
	wantStatus(s.t, resp, http.StatusOK)
	if got := decode[map[string]string](s.t, resp)["status"]; got != "connected" {
		s.t.Fatalf("connect %s: status = %q, want connected", link, got)
	}
}

// oauthService returns the definition of a custom oauth2 service whose
// endpoints are never contacted by these tests.
func oauthService(key string) map[string]any {
	return map[string]any{
		"key": key, "name": "Acme Devices", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": "https://auth.acme.example/authorize",
			"token_url":         "https://auth.acme.example/token",
			"token_auth_method": "client_secret_basic",
		},
		"scopes": []map[string]string{
			{"name": "devices.read", "description": "Read devices"},
			{"name": "devices.write", "description": "Change devices"},
		},
		"api_base_url": "https://api.acme.example/v1",
	}
}

// apiKeyService returns the definition of a custom api_key service at
// baseURL that sends its key in the given place ("header" or "query").
func apiKeyService(key, baseURL, paramName, in string) map[string]any {
	return map[string]any{
		"key": key, "name": "Key service " + key, "auth_type": "api_key",
		"api_key":      map[string]any{"params": []map[string]string{{"name": paramName, "in": in}}},
		"scopes":       []map[string]string{{"name": "read"}, {"name": "write"}},
		"api_base_url": baseURL,
	}
}

// basicService returns the definition of a custom basic service at baseURL.
func basicService(key, baseURL string) map[string]any {
	return map[string]any{"key": key, "name": "Basic service " + key, "auth_type": "basic", "api_base_url": baseURL}
}

// pageOfItems is one page of a paginated list with its items kept raw.
type pageOfItems struct {
	Items      []map[string]any
	NextCursor string
	HasCursor  bool
}

// listAll follows next_cursor from path with the given limit until a page
// has none, and returns every page. path may carry its own query.
func (s *stack) listAll(token, path string, limit int) []pageOfItems {
	s.t.Helper()
	var pages []pageOfItems
	cursor := ""
	for range 1000 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		target := path + sep + "limit=" + strconv.Itoa(limit)
		if cursor != "" {
			target += "&cursor=" + cursor
		}
		resp := s.do("GET", target, token, nil)
		wantStatus(s.t, resp, http.StatusOK)
		raw := decode[map[string]json.RawMessage](s.t, resp)
		var p pageOfItems
		if err := json.Unmarshal(raw["items"], &p.Items); err != nil {
			s.t.Fatalf("GET %s: decoding items: %v", target, err)
		}
		if next, ok := raw["next_cursor"]; ok {
			p.HasCursor = true
			if err := json.Unmarshal(next, &p.NextCursor); err != nil {
				s.t.Fatalf("GET %s: decoding next_cursor: %v", target, err)
			}
		}
		pages = append(pages, p)
		if !p.HasCursor {
			return pages
		}
		if p.NextCursor == "" {
			s.t.Fatalf("GET %s: next_cursor is present but empty", target)
		}
		cursor = p.NextCursor
	}
	s.t.Fatalf("GET %s: still a next_cursor after 1000 pages", path)
	return nil
}

// upstreamRequest is one request an upstream received.
type upstreamRequest struct {
	Method string
	Path   string
	// RequestURI is the request target as sent, with its escaping.
	RequestURI string
	RawQuery   string
	Header     http.Header
	Body       []byte
}

// upstream is an API on 127.0.0.1 that records every request and returns
// {"ok": true} with a hop-by-hop header and a cookie, which the proxy must
// strip.
type upstream struct {
	server *httptest.Server

	mu       sync.Mutex
	requests []upstreamRequest
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.requests = append(u.requests, upstreamRequest{
			Method: r.Method, Path: r.URL.Path, RequestURI: r.RequestURI, RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body,
		})
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upstream", "yes")
		w.Header().Set("Connection", "X-Upstream-Hop")
		w.Header().Set("X-Upstream-Hop", "1")
		w.Header().Set("Set-Cookie", "upstream_session=1")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(u.server.Close)
	return u
}

// received returns a copy of the requests received so far.
func (u *upstream) received() []upstreamRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]upstreamRequest(nil), u.requests...)
}

// only returns the single request received, failing the test otherwise.
func (u *upstream) only(t *testing.T) upstreamRequest {
	t.Helper()
	got := u.received()
	if len(got) != 1 {
		t.Fatalf("upstream received %d requests, want 1", len(got))
	}
	return got[0]
}
