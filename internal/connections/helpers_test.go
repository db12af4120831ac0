package connections_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/plugboard/plugboard/internal/testkit"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

// Values every fixture uses. The client secret contains characters that
// client_secret_basic must form-encode before Base64.
const (
	testOrgID        = "org-1"
	testPublicURL    = "http://plugboard.test"
	testClientID     = "client-id:acme"
	testClientSecret = "client-secret/+:%S3cr3t"
	testServiceKey   = "acme"
)

// testStart is the fixture clock's first reading.
var testStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// providerRequest is one request that the test provider received, with the
// client credentials it carried.
type providerRequest struct {
	form url.Values
	// authMethod is catalog.ClientSecretBasic when an Authorization header
	// carried the client, catalog.ClientSecretPost when the form did.
	authMethod   string
	clientID     string
	clientSecret string
}

// providerResponse is the status and JSON body the token endpoint sends.
type providerResponse struct {
	status int
	body   map[string]any
}

// provider is an OAuth 2.0 provider on 127.0.0.1 with a token endpoint at
// /token and a revocation endpoint at /revoke. It records every request and
// every token it issues, so tests can count requests and look for leaks.
type provider struct {
	t      *testing.T
	server *httptest.Server

	mu             sync.Mutex
	tokenRequests  []providerRequest
	revokeRequests []providerRequest
	issued         []string
	respond        func(form url.Values, n int) providerResponse
	tokenDelay     time.Duration
	revokeRespond  func(form url.Values) providerResponse
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	p := &provider{t: t, respond: issueTokens}
	p.setRevokeStatus(http.StatusOK)
	p.server = httptest.NewServer(http.HandlerFunc(p.serveHTTP))
	t.Cleanup(p.server.Close)
	return p
}

// issueTokens is the default token response: the nth request gets the
// access token at-secret-n and the refresh token rt-secret-n, valid for an
// hour, with no scope member.
func issueTokens(_ url.Values, n int) providerResponse {
	return providerResponse{status: http.StatusOK, body: map[string]any{
		"access_token":  fmt.Sprintf("at-secret-%d", n),
		"refresh_token": fmt.Sprintf("rt-secret-%d", n),
		"token_type":    "bearer",
		"expires_in":    3600,
	}}
}

func (p *provider) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		p.t.Errorf("reading %s request body: %v", r.URL.Path, err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		p.t.Errorf("parsing %s request body: %v", r.URL.Path, err)
	}
	req := providerRequest{form: form}
	if id, secret, ok := r.BasicAuth(); ok {
		req.authMethod = catalog.ClientSecretBasic
		req.clientID, _ = url.QueryUnescape(id)
		req.clientSecret, _ = url.QueryUnescape(secret)
	} else if form.Has("client_secret") {
		req.authMethod = catalog.ClientSecretPost
		req.clientID = form.Get("client_id")
		req.clientSecret = form.Get("client_secret")
	}

	switch r.URL.Path {
	case "/token":
		p.mu.Lock()
		p.tokenRequests = append(p.tokenRequests, req)
		n, respond, delay := len(p.tokenRequests), p.respond, p.tokenDelay
		p.mu.Unlock()

		time.Sleep(delay)
		resp := respond(form, n)
		p.mu.Lock()
		for _, member := range []string{"access_token", "refresh_token"} {
			if token, ok := resp.body[member].(string); ok {
				p.issued = append(p.issued, token)
			}
		}
		p.mu.Unlock()
		writeResponse(w, resp)
	case "/revoke":
		p.mu.Lock()
		p.revokeRequests = append(p.revokeRequests, req)
		respond := p.revokeRespond
		p.mu.Unlock()
		writeResponse(w, respond(form))
	default:
		p.t.Errorf("provider received a request for %s, want /token or /revoke", r.URL.Path)
		http.NotFound(w, r)
	}
}

func writeResponse(w http.ResponseWriter, resp providerResponse) {
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	json.NewEncoder(w).Encode(resp.body)
}

// setRespond replaces the token endpoint's responses.
func (p *provider) setRespond(respond func(form url.Values, n int) providerResponse) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.respond = respond
}

func (p *provider) setTokenDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenDelay = d
}

// setRevokeStatus makes the revocation endpoint respond with status and no
// body.
func (p *provider) setRevokeStatus(status int) {
	p.setRevokeRespond(func(url.Values) providerResponse { return providerResponse{status: status} })
}

func (p *provider) setRevokeRespond(respond func(form url.Values) providerResponse) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revokeRespond = respond
}

// tokenRequestsOf returns the token requests with the given grant type.
func (p *provider) tokenRequestsOf(grantType string) []providerRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []providerRequest
	for _, r := range p.tokenRequests {
		if r.form.Get("grant_type") == grantType {
			out = append(out, r)
		}
	}
	return out
}

func (p *provider) revocations() []providerRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]providerRequest(nil), p.revokeRequests...)
}

func (p *provider) issuedTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.issued...)
}

// fixture is a Manager on a fresh SQLite database with one org, four
// members, the oauth2 service "acme" pointing at a test provider, and its
// default application "Production".
type fixture struct {
	ctx      context.Context
	store    *sqlite.Store
	dbPath   string
	keyring  *secrets.Keyring
	clock    *testkit.Clock
	manager  *connections.Manager
	provider *provider
	logs     *testkit.LockedBuffer
	events   *eventLog
	audit    *auditLog

	admin          connections.Actor
	developer      connections.Actor
	otherDeveloper connections.Actor
	viewer         connections.Actor

	application store.Application
}

// newFixture builds a fixture. Each change is applied to the acme service
// before it is created.
func newFixture(t *testing.T, changes ...func(*catalog.Service)) *fixture {
	t.Helper()
	ctx := t.Context()
	logs := &testkit.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "db"), logger)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { db.Close() })

	key := bytes.Repeat([]byte{7}, secrets.KeySize)
	keyring, err := secrets.NewKeyring("test", map[string][]byte{"test": key})
	if err != nil {
		t.Fatalf("building keyring: %v", err)
	}

	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	f := &fixture{
		ctx:      ctx,
		store:    db,
		dbPath:   filepath.Join(dir, "db"),
		keyring:  keyring,
		clock:    testkit.NewClock(testStart),
		provider: newProvider(t),
		logs:     logs,
		events:   &eventLog{},
		audit:    &auditLog{},
	}
	f.manager = connections.New(connections.Options{
		Store:      db,
		Keyring:    keyring,
		PublicURL:  testPublicURL + "/",
		HTTPClient: &http.Client{Transport: transport},
		Logger:     logger,
		Now:        f.clock.Now,
		Events:     f.events,
		Audit:      f.audit,
	})

	if err := db.CreateOrg(ctx, store.Org{ID: testOrgID, Name: "default", CreatedAt: testStart}); err != nil {
		t.Fatalf("creating org: %v", err)
	}
	f.admin = f.createUser(t, "u-admin", "admin", store.RoleAdmin)
	f.developer = f.createUser(t, "u-dev", "dev", store.RoleDeveloper)
	f.otherDeveloper = f.createUser(t, "u-dev2", "dev2", store.RoleDeveloper)
	f.viewer = f.createUser(t, "u-viewer", "viewer", store.RoleViewer)

	svc := f.oauthService(testServiceKey)
	for _, change := range changes {
		change(&svc)
	}
	f.createService(t, svc)
	f.application = f.createApplication(t, testServiceKey, "Production", true)

	t.Cleanup(func() { f.checkLogs(t) })
	return f
}

func (f *fixture) createUser(t *testing.T, id, username, role string) connections.Actor {
	t.Helper()
	err := f.store.CreateUser(f.ctx, store.User{OrgID: testOrgID, ID: id, Username: username, Role: role, CreatedAt: testStart})
	if err != nil {
		t.Fatalf("creating user %s: %v", username, err)
	}
	return connections.Actor{OrgID: testOrgID, UserID: id, Username: username, Role: role}
}

// oauthService returns an oauth2 service definition whose endpoints are
// the test provider's.
func (f *fixture) oauthService(key string) catalog.Service {
	base := f.provider.server.URL
	return catalog.Service{
		Key:      key,
		Name:     "Service " + key,
		AuthType: catalog.AuthOAuth2,
		OAuth2: &catalog.OAuth2Settings{
			AuthorizationURL: base + "/authorize",
			TokenURL:         base + "/token",
			RevocationURL:    base + "/revoke",
			TokenAuthMethod:  catalog.ClientSecretBasic,
		},
		Scopes:     []catalog.Scope{{Name: "devices.read"}, {Name: "devices.write"}},
		APIBaseURL: base + "/api",
	}
}

func (f *fixture) createService(t *testing.T, svc catalog.Service) {
	t.Helper()
	if _, err := f.manager.CreateService(f.ctx, f.admin, svc); err != nil {
		t.Fatalf("creating service %s: %v", svc.Key, err)
	}
}

func (f *fixture) createApplication(t *testing.T, serviceKey, name string, isDefault bool) store.Application {
	t.Helper()
	clientID := testClientID
	clientSecret := secrets.Secret(testClientSecret)
	app, err := f.manager.CreateApplication(f.ctx, f.admin, connections.ApplicationInput{
		Service: serviceKey, Name: &name, ClientID: &clientID, ClientSecret: &clientSecret, Default: &isDefault,
	})
	if err != nil {
		t.Fatalf("creating application %s: %v", name, err)
	}
	// The clock moves on so applications keep their creation order.
	f.clock.Advance(time.Millisecond)
	return app
}

// connectionInput returns the input of a connection named name of the acme
// service.
func connectionInput(name string, scopes ...string) connections.ConnectionInput {
	return connections.ConnectionInput{Name: &name, Service: testServiceKey, Scopes: &scopes}
}

func (f *fixture) createConnection(t *testing.T, actor connections.Actor, in connections.ConnectionInput) store.Connection {
	t.Helper()
	conn, err := f.manager.CreateConnection(f.ctx, actor, in)
	if err != nil {
		t.Fatalf("creating connection: %v", err)
	}
	return conn
}

// authorize starts the authorization code flow and returns the
// authorization URL's query.
func (f *fixture) authorize(t *testing.T, actor connections.Actor, link, returnTo string) url.Values {
	t.Helper()
	result, err := f.manager.Connect(f.ctx, actor, link, returnTo, nil)
	if err != nil {
		t.Fatalf("Connect(%q): %v", link, err)
	}
	u, err := url.Parse(result.AuthorizationURL)
	if err != nil {
		t.Fatalf("parsing authorization URL %q: %v", result.AuthorizationURL, err)
	}
	return u.Query()
}

// connect runs the whole authorization code flow for actor.
func (f *fixture) connect(t *testing.T, actor connections.Actor, link string) {
	t.Helper()
	query := f.authorize(t, actor, link, "")
	if _, err := f.manager.CompleteAuthorization(f.ctx, query.Get("state"), "code-1", "", "", nil); err != nil {
		t.Fatalf("CompleteAuthorization: %v", err)
	}
}

func (f *fixture) credential(t *testing.T, conn store.Connection, userID string) store.Credential {
	t.Helper()
	cred, err := f.store.GetCredential(f.ctx, testOrgID, conn.ID, userID)
	if err != nil {
		t.Fatalf("reading credential of %s: %v", userID, err)
	}
	return cred
}

// secrets returns every secret the fixture handed out so far.
func (f *fixture) secrets() []string {
	return append([]string{testClientSecret}, f.provider.issuedTokens()...)
}

// wantProblem checks that err is a *problem.Error with status and code, and
// that its text holds no secret.
func (f *fixture) wantProblem(t *testing.T, err error, status int, code string) *problem.Error {
	t.Helper()
	var p *problem.Error
	if !errors.As(err, &p) {
		t.Fatalf("error = %v, want a *problem.Error with code %s", err, code)
	}
	if p.Status != status || p.Code != code {
		t.Errorf("problem = %d %s (%s), want %d %s", p.Status, p.Code, p.Detail, status, code)
	}
	f.checkNoSecret(t, "error text", err.Error())
	return p
}

func (f *fixture) checkNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, secret := range f.secrets() {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the secret %q: %s", where, secret, text)
		}
	}
}

func (f *fixture) checkLogs(t *testing.T) {
	t.Helper()
	f.checkNoSecret(t, "log output", f.logs.String())
}

// challengeOf returns the PKCE S256 code challenge of verifier.
func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func ptr[T any](v T) *T {
	return &v
}

// raisedEvent is one event the Manager published.
type raisedEvent struct {
	orgID, actorID, eventType string
	data                      map[string]any
}

// eventLog records published events.
type eventLog struct {
	mu     sync.Mutex
	events []raisedEvent
}

func (l *eventLog) Publish(_ context.Context, orgID, actorID, eventType string, data map[string]any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, raisedEvent{orgID, actorID, eventType, data})
	return nil
}

// types returns the published event types in order.
func (l *eventLog) types() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		out = append(out, e.eventType)
	}
	return out
}

// auditLog records audit entries.
type auditLog struct {
	mu      sync.Mutex
	entries []store.AuditEntry
}

func (l *auditLog) Record(_ context.Context, entry store.AuditEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, entry)
}

// actions returns the recorded actions in order.
func (l *auditLog) actions() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.entries {
		out = append(out, e.Action)
	}
	return out
}
