package connections

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/oauth"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// ConnectResult is the outcome of Connect: an authorization URL to open for
// OAuth services, or the new status for services connected with secrets.
type ConnectResult struct {
	AuthorizationURL string
	Status           string
}

// Connect starts connecting the actor's credential of a connection. For an
// oauth2 service it stores a single-use state and returns the provider's
// authorization URL; for api_key and basic services it seals the given
// credentials and marks the credential connected.
func (m *Manager) Connect(ctx context.Context, actor Actor, link, returnTo string, credentials map[string]secrets.Secret) (ConnectResult, error) {
	if !actor.CanUseCredentials() {
		return ConnectResult{}, problem.Forbidden("forbidden", "role %q cannot connect credentials", actor.Role)
	}
	conn, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return ConnectResult{}, err
	}
	userID, err := credentialOwner(conn, actor)
	if err != nil {
		return ConnectResult{}, err
	}
	svc, err := m.connectionService(ctx, conn)
	if err != nil {
		return ConnectResult{}, err
	}
	switch svc.AuthType {
	case catalog.AuthOAuth2:
		return m.startAuthorization(ctx, conn, svc, userID, returnTo)
	case catalog.AuthAPIKey, catalog.AuthBasic:
		return m.storeSecrets(ctx, actor, conn, svc, userID, credentials)
	case catalog.AuthOAuth2ClientCredentials:
		return m.connectClientCredentials(ctx, actor, conn, svc, userID)
	default:
		return ConnectResult{}, problem.Invalid("unsupported_auth_type",
			"connecting services of auth type %q is not supported yet", svc.AuthType)
	}
}

// credentialOwner returns whose credential the actor connects or revokes:
// their own on a shared connection, the owner's otherwise, which only the
// owner may do.
func credentialOwner(conn store.Connection, actor Actor) (string, error) {
	if conn.UseLoginUserCredentials || conn.OwnerID == actor.UserID {
		return actor.UserID, nil
	}
	return "", problem.Forbidden("not_owner",
		"connection %q uses its owner's credential; only the owner can connect or revoke it", conn.LinkName)
}

// ValidReturnTo reports whether s is a path on plugboard itself: it starts
// with one slash and has no scheme, host or backslash.
func ValidReturnTo(s string) bool {
	if s == "" {
		return true
	}
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

func stateAD(orgID, stateID string) secrets.AD {
	return secrets.AD{OrgID: orgID, Table: "oauth_states", Column: "verifier", RowID: stateID}
}

// stateID returns the stored ID of a state value: its SHA-256, so the
// database never holds a usable state.
func stateID(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

func (m *Manager) startAuthorization(ctx context.Context, conn store.Connection, svc catalog.Service, userID, returnTo string) (ConnectResult, error) {
	if !ValidReturnTo(returnTo) {
		return ConnectResult{}, problem.Invalid("invalid_return_to",
			"return_to %q is not a path on plugboard; give a path such as /connections/%s", returnTo, conn.LinkName)
	}
	cfg, err := m.oauthConfig(ctx, conn, svc)
	if err != nil {
		return ConnectResult{}, err
	}
	random, err := oauth.GenerateState()
	if err != nil {
		return ConnectResult{}, fmt.Errorf("generating state: %w", err)
	}
	// The org ID in the state lets the callback find the row with a key
	// that includes the org, as every key does.
	state := conn.OrgID + "." + random
	verifier := ""
	if svc.OAuth2.PKCEEnabled() {
		verifier = oauth.GenerateVerifier()
	}

	now := m.now()
	st := store.OAuthState{
		OrgID:        conn.OrgID,
		ID:           stateID(state),
		ConnectionID: conn.ID,
		UserID:       userID,
		ReturnTo:     returnTo,
		ExpiresAt:    now.Add(StateLifetime),
		CreatedAt:    now,
	}
	if verifier != "" {
		if st.VerifierSealed, err = m.keyring.Seal([]byte(verifier), stateAD(st.OrgID, st.ID)); err != nil {
			return ConnectResult{}, fmt.Errorf("sealing code verifier: %w", err)
		}
	}
	if err := m.store.CreateOAuthState(ctx, st); err != nil {
		return ConnectResult{}, fmt.Errorf("storing oauth state: %w", err)
	}
	return ConnectResult{AuthorizationURL: cfg.AuthorizationURL(state, conn.Scopes, verifier)}, nil
}

// oauthConfig builds the OAuth client configuration of a connection.
func (m *Manager) oauthConfig(ctx context.Context, conn store.Connection, svc catalog.Service) (*oauth.Config, error) {
	if svc.OAuth2 == nil {
		return nil, problem.Invalid("unsupported_auth_type", "service %q has no oauth2 settings", svc.Key)
	}
	app, err := m.Application(ctx, conn.OrgID, conn.ApplicationID)
	if err != nil {
		return nil, err
	}
	secret, err := m.openClientSecret(app)
	if err != nil {
		return nil, err
	}
	return &oauth.Config{
		Settings:    svc.OAuth2,
		Client:      oauth.Client{ID: app.ClientID, Secret: secret},
		RedirectURI: m.RedirectURI(),
		HTTPClient:  m.httpClient,
		Now:         m.now,
	}, nil
}

// CallbackResult is the connection a callback completed and where the
// browser goes next.
type CallbackResult struct {
	LinkName string
	ReturnTo string
}

// CompleteAuthorization finishes the authorization code flow: it takes the
// single-use state, exchanges the code and stores the credential. When the
// provider returned an error (errorCode set), it reports it after consuming
// the state.
//
// browser is the member signed in to plugboard's web UI in the browser
// that brought the callback, or nil when it has no session, as for flows
// that scripts start through the API. When it is a member other than the
// one who started the flow, the callback fails with 400
// browser_user_mismatch and no token request is sent. Otherwise a link to
// someone else's authorization could attach the signed-in member's provider
// account to another member's credential.
func (m *Manager) CompleteAuthorization(ctx context.Context, state, code, errorCode, errorDescription string, browser *Actor) (CallbackResult, error) {
	orgID, _, ok := strings.Cut(state, ".")
	if !ok || orgID == "" {
		return CallbackResult{}, problem.BadRequest("invalid_state",
			"the state parameter is missing or malformed; start again by connecting the connection (POST /v1/connections/<link name>/connect)")
	}
	st, err := m.store.TakeOAuthState(ctx, orgID, stateID(state))
	if errors.Is(err, store.ErrNotFound) {
		return CallbackResult{}, problem.BadRequest("invalid_state",
			"this authorization is unknown or was already used; start again by connecting the connection (POST /v1/connections/<link name>/connect)")
	}
	if err != nil {
		return CallbackResult{}, fmt.Errorf("reading oauth state: %w", err)
	}
	if m.now().After(st.ExpiresAt) {
		return CallbackResult{}, problem.BadRequest("state_expired",
			"this authorization expired after %s; start again by connecting the connection (POST /v1/connections/<link name>/connect)", StateLifetime)
	}
	conn, err := m.store.GetConnectionByID(ctx, st.OrgID, st.ConnectionID)
	if err != nil {
		return CallbackResult{}, problem.Wrap(err, http.StatusNotFound, "connection_not_found",
			"the connection of this authorization no longer exists")
	}
	if browser != nil && (browser.OrgID != st.OrgID || browser.UserID != st.UserID) {
		m.logger.Warn("authorization rejected: another member is signed in to this browser", "org_id", st.OrgID,
			"connection", conn.LinkName, "user_id", st.UserID, "browser_user_id", browser.UserID)
		// No ReturnTo: the flow's return page belongs to the member who
		// started it, so the callback shows the error itself.
		return CallbackResult{LinkName: conn.LinkName}, problem.BadRequest("browser_user_mismatch",
			"this authorization was started by another member, but %s is signed in to plugboard in this browser; "+
				"sign in as the member who started it, or start connecting again as yourself", browser.Username)
	}
	result := CallbackResult{LinkName: conn.LinkName, ReturnTo: st.ReturnTo}
	if errorCode != "" {
		return result, problem.BadRequest("authorization_denied",
			"the provider returned %q: %s", errorCode, errorDescription)
	}
	if code == "" {
		return result, problem.BadRequest("invalid_request", "the callback has no code parameter")
	}

	svc, err := m.connectionService(ctx, conn)
	if err != nil {
		return result, err
	}
	if err := m.checkServiceUnchanged(ctx, conn, st); err != nil {
		return result, err
	}
	cfg, err := m.oauthConfig(ctx, conn, svc)
	if err != nil {
		return result, err
	}
	verifier := ""
	if st.VerifierSealed != "" {
		plain, err := m.keyring.Open(st.VerifierSealed, stateAD(st.OrgID, st.ID))
		if err != nil {
			return result, fmt.Errorf("opening code verifier: %w", err)
		}
		verifier = string(plain)
	}

	exchangeCtx, cancel := context.WithTimeout(ctx, tokenRequestTimeout)
	defer cancel()
	token, err := cfg.Exchange(exchangeCtx, code, verifier)
	if err != nil {
		m.logger.Warn("code exchange failed", "org_id", conn.OrgID, "connection", conn.LinkName, "err", err)
		if errors.Is(err, egress.ErrBlockedAddress) {
			return result, problem.Wrap(err, http.StatusForbidden, "destination_blocked",
				"the token endpoint of service %q resolves to a private or loopback address, which plugboard refuses unless started with --allow-private-egress", svc.Key)
		}
		return result, problem.Wrap(err, http.StatusBadGateway, "token_exchange_failed",
			"exchanging the authorization code for a token failed: %s", describeOAuthError(err))
	}

	cred := store.Credential{
		OrgID:        conn.OrgID,
		ConnectionID: conn.ID,
		UserID:       st.UserID,
		Status:       store.StatusConnected,
		ConnectedAt:  m.now(),
		UpdatedAt:    m.now(),
	}
	// A reconnect whose response has no refresh token keeps the one the
	// credential had: providers such as Google issue it only on the first
	// consent. The sealed text stays valid because the row is the same.
	if token.RefreshToken == "" {
		if previous, err := m.store.GetCredential(ctx, conn.OrgID, conn.ID, st.UserID); err == nil {
			cred.RefreshTokenSealed = previous.RefreshTokenSealed
		}
	}
	if err := m.applyToken(&cred, token, svc, conn.Scopes); err != nil {
		return result, err
	}
	if err := m.store.PutCredential(ctx, cred); err != nil {
		return result, fmt.Errorf("storing credential: %w", err)
	}
	m.logger.Info("connection connected", "org_id", conn.OrgID, "connection", conn.LinkName, "user_id", st.UserID,
		"granted_scopes", cred.GrantedScopes)
	actor := Actor{OrgID: conn.OrgID, UserID: st.UserID}
	if user, err := m.store.GetUser(ctx, conn.OrgID, st.UserID); err == nil {
		actor.Username, actor.Role = user.Username, user.Role
	}
	m.record(ctx, actor, conn, "connection.connected", map[string]any{"granted_scopes": cred.GrantedScopes})
	m.raise(ctx, conn, st.UserID, EventConnected, st.UserID)
	return result, nil
}

// checkServiceUnchanged rejects a callback whose custom service changed
// after the authorization started. The code, the verifier and the client
// secret go to the token endpoint the service names now, so an edit made
// during the flow could otherwise send them to a new host.
func (m *Manager) checkServiceUnchanged(ctx context.Context, conn store.Connection, st store.OAuthState) error {
	if _, isDefault := catalog.Lookup(conn.ServiceKey); isDefault {
		return nil
	}
	custom, err := m.store.GetService(ctx, conn.OrgID, conn.ServiceKey)
	if err != nil {
		return fmt.Errorf("reading service %q: %w", conn.ServiceKey, err)
	}
	if custom.UpdatedAt.After(st.CreatedAt) {
		m.logger.Warn("authorization rejected: the service changed during the flow", "org_id", conn.OrgID,
			"connection", conn.LinkName, "service", conn.ServiceKey)
		return problem.Conflict("service_changed",
			"service %q changed while this authorization was in progress; start again by connecting the connection", conn.ServiceKey)
	}
	return nil
}

// describeOAuthError returns the provider's error code and description, or
// a generic phrase for transport failures.
func describeOAuthError(err error) string {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		if oe.Description != "" {
			return oe.Code + ": " + oe.Description
		}
		if oe.Code != "" {
			return oe.Code
		}
		return fmt.Sprintf("HTTP status %d", oe.StatusCode)
	}
	if errors.Is(err, egress.ErrBlockedAddress) {
		return "the token endpoint resolves to a private or loopback address, which plugboard refuses unless started with --allow-private-egress"
	}
	return "the token endpoint could not be reached"
}

func (m *Manager) storeSecrets(ctx context.Context, actor Actor, conn store.Connection, svc catalog.Service, userID string, given map[string]secrets.Secret) (ConnectResult, error) {
	var names []string
	switch svc.AuthType {
	case catalog.AuthBasic:
		names = []string{"username", "password"}
	case catalog.AuthAPIKey:
		for _, p := range svc.APIKey.Params {
			names = append(names, p.Name)
		}
	}
	values := make(map[string]string, len(names))
	for _, name := range names {
		v, ok := given[name]
		if !ok || v == "" {
			return ConnectResult{}, problem.Invalid("missing_credentials",
				"credentials.%s is missing; service %q needs %s", name, svc.Key, strings.Join(names, ", "))
		}
		values[name] = v.Reveal()
	}
	for name := range given {
		if _, ok := values[name]; !ok {
			return ConnectResult{}, problem.Invalid("invalid_credentials",
				"credentials.%s is not a parameter of service %q; it takes %s", name, svc.Key, strings.Join(names, ", "))
		}
	}

	plain, err := json.Marshal(values)
	if err != nil {
		return ConnectResult{}, fmt.Errorf("encoding credentials: %w", err)
	}
	sealed, err := m.keyring.Seal(plain, credentialAD(conn.OrgID, conn.ID, userID, "secrets"))
	if err != nil {
		return ConnectResult{}, fmt.Errorf("sealing credentials: %w", err)
	}
	now := m.now()
	cred := store.Credential{
		OrgID:         conn.OrgID,
		ConnectionID:  conn.ID,
		UserID:        userID,
		Status:        store.StatusConnected,
		SecretsSealed: sealed,
		GrantedScopes: conn.Scopes,
		ConnectedAt:   now,
		UpdatedAt:     now,
	}
	if err := m.store.PutCredential(ctx, cred); err != nil {
		return ConnectResult{}, fmt.Errorf("storing credential: %w", err)
	}
	m.logger.Info("connection connected", "org_id", conn.OrgID, "connection", conn.LinkName, "user_id", userID)
	m.record(ctx, actor, conn, "connection.connected", nil)
	m.raise(ctx, conn, actor.UserID, EventConnected, userID)
	return ConnectResult{Status: store.StatusConnected}, nil
}

// connectClientCredentials fetches a token with the client credentials
// grant, which needs no user step, and stores it as the credential.
func (m *Manager) connectClientCredentials(ctx context.Context, actor Actor, conn store.Connection, svc catalog.Service, userID string) (ConnectResult, error) {
	cfg, err := m.oauthConfig(ctx, conn, svc)
	if err != nil {
		return ConnectResult{}, err
	}
	requestCtx, cancel := context.WithTimeout(ctx, tokenRequestTimeout)
	defer cancel()
	token, err := cfg.ClientCredentials(requestCtx, conn.Scopes)
	if err != nil {
		m.logger.Warn("client credentials request failed", "org_id", conn.OrgID, "connection", conn.LinkName, "err", err)
		if errors.Is(err, egress.ErrBlockedAddress) {
			return ConnectResult{}, problem.Wrap(err, http.StatusForbidden, "destination_blocked",
				"the token endpoint of service %q resolves to a private or loopback address, which plugboard refuses unless started with --allow-private-egress", svc.Key)
		}
		return ConnectResult{}, problem.Wrap(err, http.StatusBadGateway, "token_exchange_failed",
			"requesting a client credentials token failed: %s", describeOAuthError(err))
	}
	now := m.now()
	cred := store.Credential{
		OrgID: conn.OrgID, ConnectionID: conn.ID, UserID: userID, Status: store.StatusConnected,
		ConnectedAt: now, UpdatedAt: now,
	}
	if err := m.applyToken(&cred, token, svc, conn.Scopes); err != nil {
		return ConnectResult{}, err
	}
	if err := m.store.PutCredential(ctx, cred); err != nil {
		return ConnectResult{}, fmt.Errorf("storing credential: %w", err)
	}
	m.logger.Info("connection connected", "org_id", conn.OrgID, "connection", conn.LinkName, "user_id", userID)
	m.record(ctx, actor, conn, "connection.connected", map[string]any{"granted_scopes": cred.GrantedScopes})
	m.raise(ctx, conn, actor.UserID, EventConnected, userID)
	return ConnectResult{Status: store.StatusConnected}, nil
}
