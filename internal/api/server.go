// Package api serves plugboard's v1 HTTP API, the OAuth callback and the
// operations endpoints. Handlers decode the request, call the connections
// package and encode the result; errors become RFC 9457 problem details.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/functions"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// Options configure a Server.
type Options struct {
	Store       store.Store
	Connections *connections.Manager
	Sender      *egress.Sender
	Logger      *slog.Logger
	Now         func() time.Time
	// Registry receives the HTTP metrics and serves /metrics; nil means a
	// new registry with the Go and process collectors.
	Registry *prometheus.Registry
	Members  *members.Manager
	Audit    *audit.Log
	Webhooks *webhooks.Service
	// Functions manages and runs functions; nil means one built from the
	// store, connections, sender, audit log, logger and clock above, with
	// the default run limits.
	Functions *functions.Service
	// Access checks access tokens of plugboard's authorization server;
	// nil rejects them.
	Access AccessTokenVerifier
	// BrowserUser returns the member signed in to the web UI with the
	// request's session cookie, or nil without a valid session. The OAuth
	// callback rejects a flow another member started. Nil means no web UI,
	// so every callback counts as one without a session.
	BrowserUser func(r *http.Request) (*connections.Actor, error)
}

// Server is the HTTP API.
type Server struct {
	store     store.Store
	conns     *connections.Manager
	sender    *egress.Sender
	logger    *slog.Logger
	now       func() time.Time
	registry  *prometheus.Registry
	metrics   *metrics
	members   *members.Manager
	audit     *audit.Log
	webhooks  *webhooks.Service
	functions *functions.Service
	access    AccessTokenVerifier
	browser   func(r *http.Request) (*connections.Actor, error)
}

// New returns a Server.
func New(opts Options) *Server {
	s := &Server{store: opts.Store, conns: opts.Connections, sender: opts.Sender, logger: opts.Logger, now: opts.Now,
		registry: opts.Registry, members: opts.Members, audit: opts.Audit,
		webhooks: opts.Webhooks, functions: opts.Functions, access: opts.Access, browser: opts.BrowserUser}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
		s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.metrics = newMetrics(s.registry)
	if s.functions == nil {
		fnOpts := functions.Options{Store: s.store, Connections: s.conns, Sender: s.sender, Logger: s.logger, Now: s.now}
		if s.audit != nil {
			fnOpts.Audit = s.audit
		}
		s.functions = functions.New(fnOpts)
	}
	return s
}

// handlerFunc is a handler that returns its error, which the adapter
// writes as a problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authedFunc is a handler that needs an authenticated caller.
type authedFunc func(w http.ResponseWriter, r *http.Request, caller *Caller) error

// Route is one entry of the route table.
type Route struct {
	Method string
	Path   string
	// Public routes need no API token.
	Public bool
	// Scope is the scope an access token of plugboard's authorization
	// server needs for the route; empty means any such token will do. API
	// tokens need no scope.
	Scope  string
	handle handlerFunc
	authed authedFunc
}

// Pattern returns the route's http.ServeMux pattern.
func (rt Route) Pattern() string {
	if rt.Method == "" {
		return rt.Path
	}
	return rt.Method + " " + rt.Path
}

// Routes returns the route table; every entry is also in the OpenAPI
// document, which a test checks.
func (s *Server) Routes() []Route {
	return []Route{
		{Method: "GET", Path: "/healthz", Public: true, handle: s.healthz},
		{Method: "GET", Path: "/readyz", Public: true, handle: s.readyz},
		{Method: "GET", Path: "/metrics", Public: true, handle: s.serveMetrics},
		{Method: "GET", Path: "/v1/openapi.json", Public: true, handle: s.openAPI},
		{Method: "GET", Path: "/oauth/callback", Public: true, handle: s.oauthCallback},
		{Method: "GET", Path: "/oauth/callback/", Public: true, handle: s.oauthCallback},

		{Method: "GET", Path: "/v1/services", Scope: "services.read", authed: s.listServices},
		{Method: "POST", Path: "/v1/services", Scope: "services.write", authed: s.createService},
		{Method: "GET", Path: "/v1/services/{key}", Scope: "services.read", authed: s.getService},
		{Method: "PATCH", Path: "/v1/services/{key}", Scope: "services.write", authed: s.updateService},
		{Method: "DELETE", Path: "/v1/services/{key}", Scope: "services.write", authed: s.deleteService},

		{Method: "GET", Path: "/v1/applications", Scope: "applications.read", authed: s.listApplications},
		{Method: "POST", Path: "/v1/applications", Scope: "applications.write", authed: s.createApplication},
		{Method: "GET", Path: "/v1/applications/{id}", Scope: "applications.read", authed: s.getApplication},
		{Method: "PATCH", Path: "/v1/applications/{id}", Scope: "applications.write", authed: s.updateApplication},
		{Method: "DELETE", Path: "/v1/applications/{id}", Scope: "applications.write", authed: s.deleteApplication},

		{Method: "GET", Path: "/v1/connections", Scope: "connections.read", authed: s.listConnections},
		{Method: "POST", Path: "/v1/connections", Scope: "connections.write", authed: s.createConnection},
		{Method: "GET", Path: "/v1/connections/{link}", Scope: "connections.read", authed: s.getConnection},
		{Method: "PATCH", Path: "/v1/connections/{link}", Scope: "connections.write", authed: s.updateConnection},
		{Method: "DELETE", Path: "/v1/connections/{link}", Scope: "connections.write", authed: s.deleteConnection},
		{Method: "POST", Path: "/v1/connections/{link}/connect", Scope: "connections.write", authed: s.connect},
		{Method: "POST", Path: "/v1/connections/{link}/revoke", Scope: "connections.write", authed: s.revoke},
		{Method: "GET", Path: "/v1/connections/{link}/code", Scope: "connections.read", authed: s.sampleCode},
		{Method: "GET", Path: "/v1/connections/{link}/credential", Scope: "credentials.read", authed: s.credential},
		{Method: "GET", Path: "/v1/connections/{link}/credentials", Scope: "connections.read", authed: s.listHolders},
		{Method: "DELETE", Path: "/v1/connections/{link}/credentials/{user}", Scope: "connections.write", authed: s.revokeHolder},
		{Path: "/v1/connections/{link}/proxy/{path...}", Scope: "connections.use", authed: s.proxy},
		{Method: "POST", Path: "/v1/invoke", Scope: "connections.use", authed: s.invoke},

		{Method: "GET", Path: "/v1/functions", Scope: "functions.read", authed: s.listFunctions},
		{Method: "POST", Path: "/v1/functions", Scope: "functions.write", authed: s.createFunction},
		{Method: "GET", Path: "/v1/functions/{name}", Scope: "functions.read", authed: s.getFunction},
		{Method: "PATCH", Path: "/v1/functions/{name}", Scope: "functions.write", authed: s.updateFunction},
		{Method: "DELETE", Path: "/v1/functions/{name}", Scope: "functions.write", authed: s.deleteFunction},
		{Method: "POST", Path: "/v1/functions/{name}/run", Scope: "functions.run", authed: s.runFunction},

		{Method: "GET", Path: "/v1/webhooks", Scope: "webhooks.read", authed: s.listWebhooks},
		{Method: "POST", Path: "/v1/webhooks", Scope: "webhooks.write", authed: s.createWebhook},
		{Method: "GET", Path: "/v1/webhooks/{id}", Scope: "webhooks.read", authed: s.getWebhook},
		{Method: "PATCH", Path: "/v1/webhooks/{id}", Scope: "webhooks.write", authed: s.updateWebhook},
		{Method: "DELETE", Path: "/v1/webhooks/{id}", Scope: "webhooks.write", authed: s.deleteWebhook},
		{Method: "POST", Path: "/v1/webhooks/{id}/rotate-secret", Scope: "webhooks.write", authed: s.rotateWebhookSecret},
		{Method: "POST", Path: "/v1/webhooks/{id}/test", Scope: "webhooks.write", authed: s.testWebhook},
		{Method: "GET", Path: "/v1/webhooks/{id}/deliveries", Scope: "webhooks.read", authed: s.listDeliveries},
		{Method: "GET", Path: "/v1/webhooks/{id}/deliveries/{delivery}", Scope: "webhooks.read", authed: s.getDelivery},
		{Method: "POST", Path: "/v1/webhooks/{id}/deliveries/{delivery}/redeliver", Scope: "webhooks.write", authed: s.redeliver},
		{Method: "POST", Path: "/v1/events", Scope: "events.write", authed: s.postEvent},

		{Method: "GET", Path: "/v1/users", Scope: "members.read", authed: s.listUsers},
		{Method: "POST", Path: "/v1/users", Scope: "members.write", authed: s.createUser},
		{Method: "GET", Path: "/v1/users/{username}", Scope: "members.read", authed: s.getUser},
		{Method: "PATCH", Path: "/v1/users/{username}", Scope: "members.write", authed: s.updateUser},
		{Method: "DELETE", Path: "/v1/users/{username}", Scope: "members.write", authed: s.deleteUser},
		{Method: "GET", Path: "/v1/tokens", Scope: "tokens.read", authed: s.listTokens},
		{Method: "POST", Path: "/v1/tokens", Scope: "tokens.write", authed: s.createToken},
		{Method: "DELETE", Path: "/v1/tokens/{id}", Scope: "tokens.write", authed: s.deleteToken},
		{Method: "GET", Path: "/v1/audit", Scope: "audit.read", authed: s.listAudit},
		{Method: "GET", Path: "/v1/me", authed: s.me},
	}
}

// Handler returns the HTTP handler of every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		h := rt.handle
		if rt.authed != nil {
			h = s.authenticate(rt.Scope, rt.authed)
		}
		mux.Handle(rt.Pattern(), s.metrics.instrument(rt.Path, s.adapt(h)))
	}
	mux.Handle("/", s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return unmatchedRoute(mux, w, r)
	}))
	return s.recoverPanics(mux)
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	metricsHandler(s.registry).ServeHTTP(w, r)
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger.Warn("readiness check failed", "err", err)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
