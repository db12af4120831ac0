package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/functions"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// Default session lifetimes: a session ends after DefaultSessionIdle
// without a request, and DefaultSessionLifetime after sign-in in any case.
const (
	DefaultSessionIdle     = 12 * time.Hour
	DefaultSessionLifetime = 7 * 24 * time.Hour
)

// StylesheetPath is the path of the UI's stylesheet, which pages served by
// other packages, such as the consent page, may link to.
const StylesheetPath = "/assets/style.css"

// Options configure a Server.
type Options struct {
	Store       store.Store
	Connections *connections.Manager
	Members     *members.Manager
	Webhooks    *webhooks.Service
	// Functions manages and runs functions, the same service as the
	// API's. Nil leaves out the functions pages, which then return 404.
	Functions *functions.Service
	Audit     *audit.Log
	// Keyring seals a new API token or signing secret while it waits for
	// the page that shows it once. Without one, the form's response shows
	// the secret itself, and reloading that page posts the form again.
	Keyring *secrets.Keyring
	Logger  *slog.Logger
	Now     func() time.Time
	// PublicURL is the instance's external base URL. With https, cookies
	// are marked Secure; its origin is trusted for form posts.
	PublicURL string
	// SessionIdle and SessionLifetime default to DefaultSessionIdle and
	// DefaultSessionLifetime.
	SessionIdle     time.Duration
	SessionLifetime time.Duration
}

// Server is the web UI.
type Server struct {
	store           store.Store
	conns           *connections.Manager
	members         *members.Manager
	webhooks        *webhooks.Service
	functions       *functions.Service
	audit           *audit.Log
	keyring         *secrets.Keyring
	logger          *slog.Logger
	now             func() time.Time
	publicURL       *url.URL
	secureCookies   bool
	sessionIdle     time.Duration
	sessionLifetime time.Duration
	pages           *pageSet
}

// New returns a Server. It fails when the public URL cannot be parsed.
func New(opts Options) (*Server, error) {
	s := &Server{
		store: opts.Store, conns: opts.Connections, members: opts.Members, webhooks: opts.Webhooks,
		functions: opts.Functions, audit: opts.Audit, keyring: opts.Keyring, logger: opts.Logger, now: opts.Now,
		sessionIdle: opts.SessionIdle, sessionLifetime: opts.SessionLifetime,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sessionIdle <= 0 {
		s.sessionIdle = DefaultSessionIdle
	}
	if s.sessionLifetime <= 0 {
		s.sessionLifetime = DefaultSessionLifetime
	}
	if opts.PublicURL != "" {
		u, err := url.Parse(opts.PublicURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, &url.Error{Op: "parse public URL", URL: opts.PublicURL, Err: errInvalidPublicURL}
		}
		s.publicURL = u
		s.secureCookies = u.Scheme == "https"
	}
	pages, err := loadPages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

// handlerFunc is a page handler that returns its error, which the adapter
// renders as an error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// memberFunc is a handler for signed-in members.
type memberFunc func(w http.ResponseWriter, r *http.Request, sess *session) error

// route is one entry of the route table. Member routes redirect to the
// sign-in page without a session and check the CSRF token of every POST.
type route struct {
	pattern string
	public  handlerFunc
	member  memberFunc
}

func (s *Server) routes() []route {
	return []route{
		{pattern: "GET /assets/{file}", public: s.serveAsset},
		{pattern: "GET /login", public: s.loginPage},
		{pattern: "POST /login", public: s.login},
		{pattern: "POST /logout", member: s.logout},

		{pattern: "GET /{$}", member: s.home},
		{pattern: "GET /connections/new", member: s.newConnectionPage},
		{pattern: "POST /connections/new", member: s.createConnection},
		{pattern: "GET /connections/{link}", member: s.connectionPage},
		{pattern: "POST /connections/{link}/connect", member: s.connectConnection},
		{pattern: "POST /connections/{link}/revoke", member: s.revokeConnection},
		{pattern: "POST /connections/{link}/edit", member: s.editConnection},
		{pattern: "POST /connections/{link}/delete", member: s.deleteConnection},
	}
}

// Handler returns the HTTP handler of every page. Paths it does not know
// get a 404 page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	routes := slices.Concat(s.routes(), s.managementRoutes())
	if s.functions != nil {
		routes = append(routes, s.functionRoutes()...)
	}
	for _, rt := range routes {
		h := rt.public
		if rt.member != nil {
			h = s.requireMember(rt.member)
		}
		mux.Handle(rt.pattern, s.adapt(h))
	}
	mux.Handle("/", s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return notFound("There is no page at %s.", r.URL.Path)
	}))

	// Cross-origin form posts are rejected before any handler runs, by
	// Sec-Fetch-Site or, in older browsers, by comparing Origin with Host.
	// The form's CSRF token is checked as well, in requireMember and login.
	protection := http.NewCrossOriginProtection()
	if s.publicURL != nil {
		_ = protection.AddTrustedOrigin(s.publicURL.Scheme + "://" + s.publicURL.Host)
	}
	protection.SetDenyHandler(s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		s.logger.Warn("cross-origin form post rejected", "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		return forbidden("This form was sent from another site, so it was rejected. Open the page on plugboard and send it again.")
	}))
	return s.securityHeaders(protection.Handler(mux))
}

// adapt renders an error returned by h as an error page.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// requireMember loads the session; without one, GET requests go to the
// sign-in page and come back afterwards, and other requests fail. A POST
// must carry the session's CSRF token.
func (s *Server) requireMember(h memberFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		sess, err := s.loadSession(w, r)
		if err != nil {
			return err
		}
		if sess == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return nil
			}
			return &pageError{status: http.StatusUnauthorized, message: "Your session has ended. Sign in again, then repeat what you were doing."}
		}
		if r.Method == http.MethodPost {
			if err := s.checkCSRF(r, sess); err != nil {
				return err
			}
		}
		r = r.WithContext(withRemoteAddr(r))
		return h(w, r, sess)
	}
}

// withRemoteAddr returns the request's context carrying the client address
// for audit entries.
func withRemoteAddr(r *http.Request) context.Context {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.Context()
	}
	return audit.WithRemoteAddr(r.Context(), host)
}
