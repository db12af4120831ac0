package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/oauth"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// Error classes recorded on a credential after a failed refresh.
const (
	ErrorClassTransient = "transient"
	ErrorClassPermanent = "permanent"
)

func credentialAD(orgID, connectionID, userID, column string) secrets.AD {
	return secrets.AD{OrgID: orgID, Table: "credentials", Column: column, RowID: connectionID + "/" + userID}
}

// applyToken seals a token response into cred. A response without a
// refresh token keeps the credential's old one. When the response has no
// scope, the granted scopes are the requested ones (RFC 6749 section 5.1).
func (m *Manager) applyToken(cred *store.Credential, token *oauth.Token, svc catalog.Service, requested []string) error {
	access, err := m.keyring.Seal([]byte(token.AccessToken), credentialAD(cred.OrgID, cred.ConnectionID, cred.UserID, "access_token"))
	if err != nil {
		return fmt.Errorf("sealing access token: %w", err)
	}
	cred.AccessTokenSealed = access
	if token.RefreshToken != "" {
		refresh, err := m.keyring.Seal([]byte(token.RefreshToken), credentialAD(cred.OrgID, cred.ConnectionID, cred.UserID, "refresh_token"))
		if err != nil {
			return fmt.Errorf("sealing refresh token: %w", err)
		}
		cred.RefreshTokenSealed = refresh
	}
	cred.TokenType = token.TokenType
	if cred.TokenType == "" {
		cred.TokenType = "Bearer"
	}
	cred.Expiry = token.Expiry
	if cred.Expiry.IsZero() && svc.DefaultTokenLifetime > 0 {
		// A response without expires_in gets the service's documented
		// lifetime, so the token is refreshed before the provider ends it.
		cred.Expiry = m.now().Add(time.Duration(svc.DefaultTokenLifetime))
	}
	if token.ScopeReturned {
		cred.GrantedScopes = token.Scopes
	} else if len(cred.GrantedScopes) == 0 {
		cred.GrantedScopes = requested
	}
	if cred.Extras == nil {
		cred.Extras = map[string]any{}
	}
	for k, v := range token.Extra {
		if k == "id_token" {
			continue // an ID token is a credential too; it is not kept in plain extras
		}
		cred.Extras[k] = v
	}
	cred.LastError, cred.LastErrorClass, cred.LastErrorAt = "", "", time.Time{}
	return nil
}

func (m *Manager) openCredentialColumn(cred store.Credential, column, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	plain, err := m.keyring.Open(sealed, credentialAD(cred.OrgID, cred.ConnectionID, cred.UserID, column))
	if err != nil {
		return "", fmt.Errorf("opening %s of connection %q: %w", column, cred.ConnectionID, err)
	}
	return string(plain), nil
}

// callCredential returns the credential that a call made by actor through
// conn uses: the actor's own on a shared connection, the owner's
// otherwise.
func (m *Manager) callCredential(ctx context.Context, conn store.Connection, actor Actor) (store.Credential, error) {
	if !actor.CanUseCredentials() {
		return store.Credential{}, problem.Forbidden("forbidden",
			"role %q may read connections but not call through them", actor.Role)
	}
	userID := conn.OwnerID
	if conn.UseLoginUserCredentials {
		userID = actor.UserID
	}
	cred, err := m.store.GetCredential(ctx, conn.OrgID, conn.ID, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cred.Status == store.StatusNotConnected) {
		return store.Credential{}, m.notConnected(conn, userID == actor.UserID)
	}
	if err != nil {
		return store.Credential{}, fmt.Errorf("reading credential: %w", err)
	}
	if cred.Status == store.StatusNeedsReauth {
		return store.Credential{}, problem.Conflict("connection_needs_reauth",
			"connection %q must be connected again: %s", conn.LinkName, cred.LastError).
			With("connect_url", m.connectURL(conn))
	}
	return cred, nil
}

func (m *Manager) connectURL(conn store.Connection) string {
	return m.publicURL + "/v1/connections/" + conn.LinkName + "/connect"
}

func (m *Manager) notConnected(conn store.Connection, own bool) error {
	if conn.UseLoginUserCredentials {
		return problem.Conflict("authorization_required",
			"connection %q uses each member's own credential and you have not connected yours; connect with POST %s",
			conn.LinkName, m.connectURL(conn)).With("connect_url", m.connectURL(conn))
	}
	if own {
		return problem.Conflict("connection_not_connected",
			"connection %q is not connected; connect it with POST %s", conn.LinkName, m.connectURL(conn)).
			With("connect_url", m.connectURL(conn))
	}
	return problem.Conflict("connection_not_connected",
		"connection %q is not connected; its owner must connect it", conn.LinkName)
}

// AccessToken is a usable credential for one call.
type AccessToken struct {
	Value     secrets.Secret
	TokenType string
	Expiry    time.Time
	Scopes    []string
	Extras    map[string]any
	// sealed identifies the token version this value came from, so a
	// forced refresh after a 401 can tell whether someone else already
	// refreshed it.
	sealed string
}

// Token returns a fresh access token of the credential that actor's calls
// through the connection use, refreshing it first when it expires within the
// refresh skew.
func (m *Manager) Token(ctx context.Context, actor Actor, link string) (AccessToken, error) {
	conn, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return AccessToken{}, err
	}
	svc, err := m.connectionService(ctx, conn)
	if err != nil {
		return AccessToken{}, err
	}
	if svc.AuthType != catalog.AuthOAuth2 && svc.AuthType != catalog.AuthOAuth2ClientCredentials {
		return AccessToken{}, problem.Invalid("unsupported_auth_type",
			"connection %q uses auth type %q, which has no access token to fetch", link, svc.AuthType)
	}
	cred, err := m.callCredential(ctx, conn, actor)
	if err != nil {
		return AccessToken{}, err
	}
	token, err := m.freshToken(ctx, conn, svc, cred, "")
	if err != nil {
		return AccessToken{}, err
	}
	whose := cred.UserID
	if user, err := m.store.GetUser(ctx, conn.OrgID, cred.UserID); err == nil {
		whose = user.Username
	}
	m.record(ctx, actor, conn, "credential.read", map[string]any{"credential_of": whose})
	m.noteUse(ctx, conn, actor)
	return token, nil
}

// freshToken returns cred's access token, refreshed when it is about to
// expire or when stale names the sealed token that an upstream rejected.
func (m *Manager) freshToken(ctx context.Context, conn store.Connection, svc catalog.Service, cred store.Credential, stale string) (AccessToken, error) {
	if stale == "" && !m.expiring(cred) {
		return m.accessTokenOf(cred)
	}
	return m.refresh(ctx, conn, svc, cred, stale)
}

func (m *Manager) expiring(cred store.Credential) bool {
	return !cred.Expiry.IsZero() && !m.now().Add(m.refreshSkew).Before(cred.Expiry)
}

func (m *Manager) accessTokenOf(cred store.Credential) (AccessToken, error) {
	value, err := m.openCredentialColumn(cred, "access_token", cred.AccessTokenSealed)
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{
		Value:     secrets.Secret(value),
		TokenType: cred.TokenType,
		Expiry:    cred.Expiry,
		Scopes:    cred.GrantedScopes,
		Extras:    cred.Extras,
		sealed:    cred.AccessTokenSealed,
	}, nil
}

// errSkipWrite rolls back an UpdateCredential that found nothing to change.
var errSkipWrite = errors.New("no change")

// refreshFailed records a failed refresh on cred. A permanent failure such
// as invalid_grant sets needs_reauth, and a transient one keeps the token and
// only records the error.
func (m *Manager) refreshFailed(conn store.Connection, cred *store.Credential, err error) error {
	description := describeOAuthError(err)
	if oauth.IsPermanent(err) {
		m.markFailed(cred, ErrorClassPermanent, description)
		m.logger.Warn("refresh rejected; connection needs reauthorization", "org_id", conn.OrgID,
			"connection", conn.LinkName, "user_id", cred.UserID, "err", err)
		return problem.Wrap(err, http.StatusConflict, "connection_needs_reauth",
			"the provider rejected the refresh token of connection %q (%s); connect it again", conn.LinkName, description).
			With("connect_url", m.connectURL(conn))
	}
	m.markFailed(cred, ErrorClassTransient, description)
	m.logger.Warn("refresh failed; will retry on next use", "org_id", conn.OrgID, "connection", conn.LinkName,
		"user_id", cred.UserID, "err", err)
	if errors.Is(err, egress.ErrBlockedAddress) {
		return problem.Wrap(err, http.StatusForbidden, "destination_blocked",
			"the token endpoint of connection %q resolves to a private or loopback address, which plugboard refuses unless started with --allow-private-egress", conn.LinkName)
	}
	return problem.Wrap(err, http.StatusBadGateway, "token_refresh_failed",
		"refreshing the token of connection %q failed (%s); try again later", conn.LinkName, description)
}

func (m *Manager) markFailed(cred *store.Credential, class, message string) {
	if class == ErrorClassPermanent {
		cred.Status = store.StatusNeedsReauth
	}
	cred.LastError = message
	cred.LastErrorClass = class
	cred.LastErrorAt = m.now()
	cred.UpdatedAt = m.now()
}

// secretsOf opens the API key or basic credentials of cred.
func (m *Manager) secretsOf(cred store.Credential) (map[string]string, error) {
	plain, err := m.openCredentialColumn(cred, "secrets", cred.SecretsSealed)
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	if plain != "" {
		if err := json.Unmarshal([]byte(plain), &values); err != nil {
			return nil, fmt.Errorf("decoding credentials of connection %q: %w", cred.ConnectionID, err)
		}
	}
	return values, nil
}
