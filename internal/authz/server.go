// Package authz is plugboard's OAuth 2.0 authorization server for its own
// API, built on the op package of github.com/zitadel/oidc/v3. It serves the
// authorization code grant with PKCE (S256 only), rotated refresh tokens,
// revocation (RFC 7009), introspection (RFC 7662) and discovery under
// PathPrefix, and the consent page that a signed-in member accepts or
// denies. Clients, requests, codes, tokens and signing keys live in the
// database, so any instance continues a flow that another began.
//
// An access token acts as the member who consented, within the scopes
// granted; the member's current role still bounds what it may do.
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// PathPrefix is the path the authorization server is mounted under. The
// issuer is the public URL plus this prefix.
const PathPrefix = "/oauth2"

// MetadataPath serves the server's metadata where RFC 8414 section 3
// places it for an issuer with a path. The same document is at
// PathPrefix + "/.well-known/openid-configuration".
const MetadataPath = "/.well-known/oauth-authorization-server" + PathPrefix

// Default token lifetimes.
const (
	DefaultAccessTokenLifetime  = time.Hour
	DefaultRefreshTokenLifetime = 30 * 24 * time.Hour
)

// ErrInvalidToken is returned by VerifyAccessToken for a token that is
// malformed, unknown, expired or revoked.
var ErrInvalidToken = errors.New("invalid access token")

// Applications is the part of the connections package that the built-in
// clients need: their secret is the secret of an application.
type Applications interface {
	// ApplicationSecret opens an application's client secret.
	ApplicationSecret(ctx context.Context, orgID, appID string) (secrets.Secret, error)
	// EnsureBuiltinApplication returns the org's built-in application of
	// the plugboard service, creating it with a new secret when missing.
	EnsureBuiltinApplication(ctx context.Context, orgID, clientID string) (store.Application, error)
}

// Hooks connect the consent page to the web UI's sessions. Without
// SignedIn every visitor is sent to the login page. Without CSRFToken and
// CheckCSRF every Accept or Deny is rejected.
type Hooks struct {
	// SignedIn returns the member signed in to the web UI.
	SignedIn func(*http.Request) (connections.Actor, bool)
	// LoginURL returns where to sign in before coming back to returnTo, a
	// path on this instance. Nil means "/login?next=<returnTo>", the web UI's sign-in.
	LoginURL func(returnTo string) string
	// CSRFToken returns the token the consent form carries in its
	// csrf_token field, setting a cookie on w if it needs one.
	CSRFToken func(w http.ResponseWriter, r *http.Request) string
	// CheckCSRF returns an error unless the posted form's csrf_token
	// belongs to the request's session.
	CheckCSRF func(r *http.Request) error
	// Stylesheet is the path of a stylesheet on this instance that the
	// consent page links to. Empty means none.
	Stylesheet string
}

// Options configure a Server.
type Options struct {
	Store        store.Store
	Keyring      *secrets.Keyring
	Applications Applications
	// PublicURL is the instance's external base URL without a trailing
	// slash.
	PublicURL            string
	Logger               *slog.Logger
	Now                  func() time.Time
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
	Hooks                Hooks
	// Audit receives an entry for every Accept and Deny. Nil drops them.
	Audit connections.AuditRecorder
}

// Server is the authorization server.
type Server struct {
	storage   *storage
	provider  *op.Provider
	issuer    string
	publicURL string
	hooks     Hooks
	logger    *slog.Logger
	audit     connections.AuditRecorder
}

// Access is the grant of a valid access token.
type Access struct {
	OrgID     string
	UserID    string
	ClientID  string
	Scopes    []string
	ExpiresAt time.Time
}

// HasScope reports whether the token was granted scope.
func (a Access) HasScope(scope string) bool {
	return slices.Contains(a.Scopes, scope)
}

// New returns a Server.
func New(opts Options) (*Server, error) {
	publicURL := strings.TrimSuffix(opts.PublicURL, "/")
	parsed, err := url.Parse(publicURL)
	if err != nil || parsed.Host == "" || (parsed.Scheme != "http" && parsed.Scheme != "https") {
		return nil, fmt.Errorf("public URL %q is not an absolute http or https URL; set --public-url", opts.PublicURL)
	}
	s := &Server{issuer: publicURL + PathPrefix, publicURL: publicURL, hooks: opts.Hooks, logger: opts.Logger, audit: opts.Audit}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s.storage = &storage{
		store: opts.Store, keyring: opts.Keyring, crypto: keyringCrypto{keyring: opts.Keyring},
		secrets: opts.Applications, logger: s.logger, now: now,
		accessLifetime: opts.AccessTokenLifetime, refreshLifetime: opts.RefreshTokenLifetime,
		loginURL: func(requestID string) string { return consentPath(requestID) },
	}
	if s.storage.accessLifetime <= 0 {
		s.storage.accessLifetime = DefaultAccessTokenLifetime
	}
	if s.storage.refreshLifetime <= 0 {
		s.storage.refreshLifetime = DefaultRefreshTokenLifetime
	}

	config := &op.Config{
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedScopes:       ScopeNames(),
	}
	options := []op.Option{
		op.WithCrypto(s.storage.crypto),
		op.WithCustomAuthEndpoint(op.NewEndpoint("authorize")),
		op.WithCustomTokenEndpoint(op.NewEndpoint("token")),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint("introspect")),
		op.WithCustomRevocationEndpoint(op.NewEndpoint("revoke")),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint("userinfo")),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint("end_session")),
		op.WithCustomKeysEndpoint(op.NewEndpoint("keys")),
		op.WithHttpInterceptors(withClientOrg),
	}
	if parsed.Scheme == "http" {
		// A plain http public URL, as in development and tests, needs this
		// option because the op package otherwise requires https.
		options = append(options, op.WithAllowInsecure())
	}
	s.provider, err = op.NewProvider(config, s.storage, op.StaticIssuer(s.issuer), options...)
	if err != nil {
		return nil, fmt.Errorf("creating the authorization server: %w", err)
	}
	return s, nil
}

// Issuer returns the issuer identifier: the public URL plus PathPrefix.
func (s *Server) Issuer() string {
	return s.issuer
}

// RedirectURI returns the redirect URI of the built-in clients, the
// instance's own OAuth callback.
func (s *Server) RedirectURI() string {
	return s.publicURL + "/oauth/callback"
}

// Handler serves every path under PathPrefix, the op package's endpoints
// and the consent page, and MetadataPath.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+MetadataPath, func(w http.ResponseWriter, r *http.Request) {
		r = r.Clone(r.Context())
		r.URL.Path = "/.well-known/openid-configuration"
		r.URL.RawPath = ""
		s.provider.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET "+PathPrefix+"/consent", s.showConsent)
	mux.HandleFunc("POST "+PathPrefix+"/consent", s.answerConsent)
	mux.Handle(PathPrefix+"/", http.StripPrefix(PathPrefix, s.provider))
	return mux
}

// withClientOrg puts the org of the request's client into the context, so
// that SigningKey signs with that org's key. The client ID comes from the
// Basic Authorization header or the client_id form field.
func withClientOrg(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clientID, _, ok := r.BasicAuth()
		if ok {
			clientID, _ = url.QueryUnescape(clientID)
		} else {
			clientID = r.FormValue("client_id")
		}
		if orgID, err := orgOfClient(clientID); err == nil {
			r = r.WithContext(withOrg(r.Context(), orgID))
		}
		next.ServeHTTP(w, r)
	})
}

// VerifyAccessToken returns what an access token grants, or an error
// wrapping ErrInvalidToken.
func (s *Server) VerifyAccessToken(ctx context.Context, token string) (Access, error) {
	plain, err := s.storage.crypto.Decrypt(token)
	if err != nil {
		return Access{}, ErrInvalidToken
	}
	tokenID, _, ok := strings.Cut(plain, ":")
	if !ok {
		// An authorization code opens too, but it names no token.
		return Access{}, ErrInvalidToken
	}
	rec, err := s.storage.accessToken(ctx, tokenID)
	if errors.Is(err, errInactive) {
		return Access{}, ErrInvalidToken
	}
	if err != nil {
		return Access{}, err
	}
	return Access{OrgID: rec.OrgID, UserID: rec.UserID, ClientID: rec.ClientID, Scopes: rec.Scopes, ExpiresAt: rec.ExpiresAt}, nil
}

// EnsureBuiltinClients registers the built-in client of the plugboard
// service in every org that lacks one, and points every built-in client's
// redirect URI at the current public URL.
func (s *Server) EnsureBuiltinClients(ctx context.Context) error {
	orgs, err := s.storage.store.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("listing orgs: %w", err)
	}
	var errs []error
	for _, org := range orgs {
		if err := s.ensureBuiltinClient(ctx, org.ID); err != nil {
			errs = append(errs, fmt.Errorf("org %q: %w", org.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) ensureBuiltinClient(ctx context.Context, orgID string) error {
	clientID := BuiltinClientID(orgID)
	app, err := s.storage.secrets.EnsureBuiltinApplication(ctx, orgID, clientID)
	if err != nil {
		return fmt.Errorf("ensuring the built-in application: %w", err)
	}
	redirectURIs := []string{s.RedirectURI()}
	existing, err := s.storage.store.GetAuthzClient(ctx, orgID, clientID)
	if err == nil && existing.ApplicationID == app.ID && slices.Equal(existing.RedirectURIs, redirectURIs) {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("reading the built-in client: %w", err)
	}
	now := s.storage.now().UTC()
	rec := store.AuthzClient{
		OrgID: orgID, ID: clientID, Name: "plugboard", ApplicationID: app.ID,
		RedirectURIs: redirectURIs, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.storage.store.PutAuthzClient(ctx, rec); err != nil {
		return err
	}
	s.logger.Info("registered the built-in client of the plugboard service", "org_id", orgID, "client_id", clientID,
		"redirect_uri", redirectURIs[0])
	return nil
}

// DeleteExpired deletes expired authorization requests and tokens.
func (s *Server) DeleteExpired(ctx context.Context) (int, error) {
	return s.storage.store.DeleteExpiredAuthz(ctx, s.storage.now())
}
