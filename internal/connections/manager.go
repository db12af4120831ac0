// Package connections holds plugboard's connection rules. It covers the
// services and applications an org may use, connections with their link
// names, scopes and guards, and the OAuth flow that connects them. It also
// provides the credentials that calls through a connection use, refreshed on
// demand with one token request per credential at a time.
//
// Every rule of the connection lifecycle lives here; the API and web layers
// decode input, call a Manager method and encode the result.
package connections

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// Defaults for Options fields left zero.
const (
	// DefaultRefreshSkew is how long before expiry a token counts as
	// expired, so a call never starts with a token that lapses in flight.
	DefaultRefreshSkew = 60 * time.Second
	// StateLifetime is how long an authorization started with Connect may
	// take before its state expires.
	StateLifetime = 10 * time.Minute
	// tokenRequestTimeout bounds one token endpoint or revocation request.
	tokenRequestTimeout = 30 * time.Second
)

// Options configure a Manager.
type Options struct {
	Store   store.Store
	Keyring *secrets.Keyring
	// PublicURL is the instance's external base URL, without a trailing
	// slash; the OAuth redirect URI is PublicURL + "/oauth/callback".
	PublicURL string
	// HTTPClient sends token, refresh and revocation requests. It should
	// carry the egress guard.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
	// RefreshSkew is how long before expiry a token is refreshed. Zero
	// means DefaultRefreshSkew, and NoRefreshSkew refreshes only at expiry.
	RefreshSkew time.Duration
	// Events receives the connection.* events; nil drops them.
	Events EventPublisher
	// Audit receives the audit entries of connection changes and credential
	// reads; nil drops them.
	Audit AuditRecorder
}

// EventPublisher stores an event raised by plugboard, with the deliveries
// it causes.
type EventPublisher interface {
	Publish(ctx context.Context, orgID, actorID, eventType string, data map[string]any) error
}

// AuditRecorder appends to the audit log. It never fails the caller: a
// recorder logs its own errors.
type AuditRecorder interface {
	Record(ctx context.Context, entry store.AuditEntry)
}

// NoRefreshSkew, as Options.RefreshSkew, refreshes tokens only once they
// have expired.
const NoRefreshSkew time.Duration = -1

// Manager applies the connection rules on top of a store.
type Manager struct {
	store       store.Store
	keyring     *secrets.Keyring
	publicURL   string
	httpClient  *http.Client
	logger      *slog.Logger
	now         func() time.Time
	refreshSkew time.Duration
	refreshes   singleflight.Group
	events      EventPublisher
	audit       AuditRecorder
	// uses holds when this instance last recorded each member's use of a
	// connection, by "org/connection/user".
	uses sync.Map
}

// New returns a Manager.
func New(opts Options) *Manager {
	m := &Manager{
		store:       opts.Store,
		keyring:     opts.Keyring,
		publicURL:   strings.TrimSuffix(opts.PublicURL, "/"),
		httpClient:  opts.HTTPClient,
		logger:      opts.Logger,
		now:         opts.Now,
		refreshSkew: opts.RefreshSkew,
		events:      opts.Events,
		audit:       opts.Audit,
	}
	if m.httpClient == nil {
		m.httpClient = http.DefaultClient
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	switch {
	case m.refreshSkew == 0:
		m.refreshSkew = DefaultRefreshSkew
	case m.refreshSkew < 0:
		m.refreshSkew = 0
	}
	return m
}

// RedirectURI returns the one OAuth redirect URI of this instance.
func (m *Manager) RedirectURI() string {
	return m.publicURL + "/oauth/callback"
}

// Actor is the member on whose behalf a call is made.
type Actor struct {
	OrgID    string
	UserID   string
	Username string
	Role     string
}

// CanUseCredentials reports whether the actor's role may call APIs through
// connections; viewers read metadata only.
func (a Actor) CanUseCredentials() bool {
	return a.Role == store.RoleAdmin || a.Role == store.RoleDeveloper
}

// CanManage reports whether the actor may change services, applications
// and connections.
func (a Actor) CanManage() bool {
	return a.Role == store.RoleAdmin || a.Role == store.RoleDeveloper
}
